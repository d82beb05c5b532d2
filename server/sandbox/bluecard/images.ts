/**
 * Pictures of the sandbox lot: every entry and exit "takes" one. The bytes are a real (tiny) baseline JPEG,
 * an 8×8 grey square, with a comment segment naming the picture so that no two are alike. Names look like
 * Bluecard's ("1902490001_20190225163256_0000000023_test_zip.jpg^23"): a device, the time, a serial and the
 * `^n` tail that must survive a round trip through 4.20 exactly as spelled.
 */

/** Marker segments of an 8×8 single-component JPEG whose only block is flat grey (DC 0, EOB). */
function jpegSegments(comment: string): Buffer[] {
  const com = Buffer.from(comment, 'utf8').subarray(0, 60000);
  const len = (n: number) => [(n >> 8) & 0xff, n & 0xff];
  return [
    Buffer.from([0xff, 0xd8]), // SOI
    Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]), // APP0 JFIF
    Buffer.concat([Buffer.from([0xff, 0xfe, ...len(com.length + 2)]), com]), // COM
    Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(1)]), // DQT, all ones
    Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]), // SOF0 8×8, 1 component
    // DHT: one code of length 1 for symbol 0 — DC class 0 (category 0) and AC class 1 (EOB).
    Buffer.from([0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, ...new Array<number>(15).fill(0), 0x00]),
    Buffer.from([0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, ...new Array<number>(15).fill(0), 0x00]),
    Buffer.from([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]), // SOS
    Buffer.from([0x3f]), // bits "0" (DC 0) "0" (EOB), padded with ones
    Buffer.from([0xff, 0xd9]), // EOI
  ];
}

/** A small valid JPEG carrying `comment`. */
export function tinyJpeg(comment: string): Buffer {
  return Buffer.concat(jpegSegments(comment));
}

/** The pictures one park has taken, by name. */
export class ImageStore {
  private readonly byName = new Map<string, { bytes: Buffer; takenAt: number }>();
  private serial = 0;

  /** Take a picture at a lane: returns its Bluecard-like name. */
  take(laneId: string, at: number, orderId: string, chinaStamp: string): string {
    this.serial += 1;
    const device = `18${laneId.replace(/\D/g, '').padStart(2, '0').slice(-2)}490001`.slice(0, 10);
    const name = `${device}_${chinaStamp}_${orderId.padStart(10, '0')}_sandbox.jpg^${this.serial}`;
    this.byName.set(name, { bytes: tinyJpeg(`Bluecard sandbox ${name}`), takenAt: at });
    return name;
  }

  get(name: string): Buffer | undefined {
    return this.byName.get(name)?.bytes;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** `yyyyMMddHHmmss` of a China time string `yyyy-MM-dd HH:mm:ss`. */
export function compactChinaTime(chinaTime: string): string {
  return chinaTime.replace(/\D/g, '');
}
