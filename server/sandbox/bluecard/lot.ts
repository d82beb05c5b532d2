/**
 * One sandbox park as tests and the control API drive it: the state (ParkState) plus what the lot says to
 * ParkPay — records through the outbox (resent), the heartbeat, and the lane interactions that wait for
 * ParkPay's answer (4.13, 4.16, 4.17, 4.24–4.28), whose answers are returned to the caller and acted on
 * the way the lot would (a withheld or face-to-face payment is recorded and opens the barrier).
 */
import type { Clock } from '../../src/core/clock';
import { bluecardSign } from '../../src/adapter/bluecard/requests';
import { USERPAYING, type ExitRecord, type Renewal, type WhiteEntry } from '../../../shared/bluecard';
import { fenToYuan, yuanToFen } from '../../../shared/money';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaDate, formatChinaTime, parseChinaTime } from '../../../shared/time';
import type { ParkDefinition } from './definitions';
import { compactChinaTime } from './images';
import type { Outbox, OutboxItem } from './outbox';
import { type ArriveOptions, type Car, type LeaveOptions, type ParkState, type Payment, Refusal } from './park';
import type { SandboxScheduler } from './scheduler';
import type { ParkPayLink, UpResult } from './uplink';

const yuan = fenToYuan;

export interface LotDeps {
  clock: Clock;
  link: ParkPayLink;
  outbox: Outbox;
  scheduler: SandboxScheduler;
  makeState: (def: ParkDefinition, orderIdStart: number | undefined) => ParkState;
  /**
   * A plated car that owes money at an exit lane makes the lot ask ParkPay with 4.16 by itself (withhold
   * from an agreement, else a payment QR on the lane screen, whose result it then polls with 4.17).
   */
  exitWithholding?: boolean;
}

/** What an exit lane's screen shows the car waiting at it. */
export interface LaneScreen {
  passagewayId: string;
  orderId: string;
  plate: string;
  /** What the car owed when it came to the lane (fen). */
  owedFen: number;
  /** The 4.16 payment QR (WeChat Native code_url or Alipay qr_code) and its outTradeNo. */
  qrCode?: string;
  outTradeNo?: string;
  /** Until when the lot polls 4.17 for the QR (sandbox ms). */
  pollUntil?: number;
  /** The screen's text ("请扫码缴费 ¥4.00", ParkPay's refusal…). */
  message: string;
  since: number;
}

/**
 * How the lot polls 4.17 while a payment QR is on a lane screen: often at first (the driver is scanning),
 * then less, for as long as ParkPay keeps the QR payable (10 minutes).
 */
export const QR_POLL = { fastMs: 3_000, fastForMs: 60_000, slowMs: 15_000, forMs: 10 * 60_000 } as const;

export interface Ask {
  /** Ask ParkPay first with 4.28 opengate: fail refuses, success opens, self (or no answer) lets the lot decide. */
  askParkPay?: boolean;
  /** Wait for the record's prompt delivery attempts before answering (default true). */
  wait?: boolean;
}

export interface HeartbeatLog {
  at: string;
  acknowledged: boolean;
  error?: string;
}

export interface LaneFlowResult {
  result: UpResult;
  outTradeNo?: string;
  /** A payment the lot recorded from ParkPay's answer. */
  payment?: Payment;
  /** Why a payment in the answer could not be recorded. */
  recordError?: string;
  /** What the car still owes (yuan). */
  owed?: string;
  /** The car went out (its barrier opened on the payment). */
  left?: boolean;
}

export class SandboxPark {
  state: ParkState;
  readonly heartbeats: HeartbeatLog[] = [];
  /** Exit lane screens by passagewayId (see screens() for the live ones). */
  private readonly laneScreens = new Map<string, LaneScreen>();
  private readonly qrPolls = new Map<string, () => void>();
  private readonly faceToFace = new Map<string, { orderId: string; until: number; cancel?: () => void }>();
  private renewalSeq = 0;

  constructor(
    readonly definition: ParkDefinition,
    private readonly deps: LotDeps,
  ) {
    this.state = deps.makeState(definition, undefined);
  }

  get parkNumber(): string {
    return this.definition.parkNumber;
  }

  /** The sign header Bluecard expects on our down calls for this park. */
  get sign(): string {
    return bluecardSign(this.definition.key, this.definition.parkNumber);
  }

  /** Back to the definition: no cars, lists, payments. orderIds continue (ParkPay remembers old ones). */
  reset(): void {
    for (const f of this.faceToFace.values()) f.cancel?.();
    this.faceToFace.clear();
    for (const cancel of this.qrPolls.values()) cancel();
    this.qrPolls.clear();
    this.laneScreens.clear();
    this.heartbeats.length = 0;
    this.state = this.deps.makeState(this.definition, this.state.peekNextOrderId());
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private async settle(wait: boolean | undefined): Promise<void> {
    const p = this.deps.outbox.flush({ parkNumber: this.parkNumber });
    if (wait !== false) await p;
  }

  private viewOf(item: OutboxItem | undefined) {
    return item ? this.deps.outbox.viewOf(item) : undefined;
  }

  private delivery(kind: 'entry' | 'exit', orderId: string): OutboxItem | undefined {
    return this.deps.outbox.find(this.parkNumber, kind, orderId);
  }

  // -------------------------------------------------------------------------------------------------------
  // Cars

  /** A car arrives at an entry lane; the 4.2 record goes to ParkPay. */
  async arrive(o: ArriveOptions & Ask) {
    let openGate: UpResult | undefined;
    let force = o.force;
    if (o.askParkPay) {
      const lane = this.state.lane(o.lane);
      if (!lane) throw new Refusal('unknown_lane', `no lane ${o.lane}`);
      const areaId = Number(lane.targetAreaId);
      const plate = o.authId ? (o.ephemeralPlate ?? '') : (o.plate ?? '');
      openGate = await this.openGate({
        plate,
        plateColor: o.plateColor ?? (plate === '' ? '' : '蓝牌'),
        carType: this.state.carTypeFor(plate, areaId),
        confidence: plate === '' ? 0 : 98,
        passageway: lane.name,
        inOutType: 1,
        area: this.state.area(areaId)?.name ?? '',
      });
      if (openGate.httpStatus === 200 && openGate.status === 'fail') {
        throw new Refusal('refused_by_parkpay', `ParkPay refused: ${openGate.errorCode ?? ''}`, { openGate });
      }
      if (openGate.httpStatus === 200 && openGate.status === 'success') force = true;
    }
    const car = this.state.arrive({ ...o, force });
    await this.settle(o.wait);
    return {
      orderId: car.orderId,
      plate: car.plate,
      ticketCode: car.ticketCode,
      carType: car.carType,
      inTime: formatChinaTime(car.inTime),
      inImage: car.inImage,
      spaceId: car.spaceId,
      entryDelivery: this.viewOf(this.delivery('entry', car.orderId)),
      openGate,
    };
  }

  /**
   * A car comes to an exit lane: leaves when nothing is owed (or forced); the 4.3 record goes to ParkPay.
   * Money owed: with `authCode` the booth scans the driver's payment code (4.24); else, when the lot asks
   * ParkPay at the exit (exitWithholding), 4.16 withholds from an agreement (the barrier opens) or puts a
   * payment QR on the lane screen (polled with 4.17). Still owed: Refusal 'unpaid' (the barrier stays down).
   */
  async leave(o: LeaveOptions & Ask & { authCode?: string }): Promise<Departure> {
    let openGate: UpResult | undefined;
    let options: LeaveOptions = o;
    if (o.askParkPay) {
      const lane = this.state.lane(o.lane);
      if (!lane) throw new Refusal('unknown_lane', `no lane ${o.lane}`);
      const car = this.state.findCar(o);
      if (!car) throw new Refusal('not_in_park', 'no such car in the park');
      openGate = await this.openGate({
        plate: car.plate,
        plateColor: car.plateColor,
        carType: car.carType,
        confidence: car.confidence,
        passageway: lane.name,
        inOutType: 2,
        area: this.state.area(car.areaId)?.name ?? '',
      });
      if (openGate.httpStatus === 200 && openGate.status === 'fail') {
        car.waitingAt = lane.passagewayId;
        throw new Refusal('refused_by_parkpay', `ParkPay refused: ${openGate.errorCode ?? ''}`, { openGate });
      }
      // ParkPay agreed to open: what is owed is ParkPay's business now.
      if (openGate.httpStatus === 200 && openGate.status === 'success') {
        options = { ...o, force: true, settle: 'waive', openGateMode: o.openGateMode ?? '第三方开闸' };
      }
    }
    let lanePayment: LaneFlowResult | undefined;
    let left: { car: Car; record: ExitRecord };
    try {
      left = this.state.leave(options);
    } catch (e) {
      if (!(e instanceof Refusal) || e.code !== 'unpaid') throw e;
      const car = this.state.findCar(options)!;
      lanePayment = await this.payAtExit(car, options.lane, o.authCode);
      if (car.outTime !== undefined) {
        left = { car, record: car.exitRecord! };
      } else if (this.state.price(car).payChargeFen === 0) {
        left = this.state.leave(options);
      } else {
        const screen = this.screens().find((sc) => sc.orderId === car.orderId);
        throw new Refusal(e.code, e.message, {
          ...e.details,
          payCharge: yuan(this.state.price(car).payChargeFen),
          ...(lanePayment ? { lanePayment: laneFlowSummary(lanePayment) } : {}),
          ...(screen?.qrCode ? { qrCode: screen.qrCode, outTradeNo: screen.outTradeNo } : {}),
        });
      }
    }
    const { car, record } = left;
    await this.settle(o.wait);
    const exitItem = this.delivery('exit', car.orderId);
    return {
      orderId: car.orderId,
      record,
      exitDelivery: this.viewOf(exitItem),
      openGate,
      ...(lanePayment ? { lanePayment: laneFlowSummary(lanePayment) } : {}),
    };
  }

  /** Money is owed at an exit lane: the booth's payment code, or (exitWithholding) 4.16. */
  private async payAtExit(car: Car, laneIdOrName: string, authCode: string | undefined): Promise<LaneFlowResult | undefined> {
    const lane = this.state.lane(laneIdOrName)!;
    if (authCode !== undefined && authCode !== '') return this.faceToFacePay({ lane: lane.passagewayId, orderId: car.orderId, authCode });
    // 4.16 needs a plate; unlicensed cars pay by scanning the lane link (4.30).
    if (!this.deps.exitWithholding || car.plate === '' || car.unlicensed) return undefined;
    const owedFen = this.state.price(car).payChargeFen;
    const current = this.laneScreens.get(lane.passagewayId);
    // The car is back at the lane while its QR is still up: the same screen (no second 4.16).
    if (current?.orderId === car.orderId && current.qrCode && this.qrPolls.has(current.outTradeNo!) && current.owedFen === owedFen) return undefined;
    const r = await this.withholdOrQr({ lane: lane.passagewayId, orderId: car.orderId });
    if (car.outTime !== undefined) return r;
    const qrCode = r.result.acknowledged ? (r.result.answer as { datas: { qrCode?: string } }).datas.qrCode : undefined;
    const screen: LaneScreen = {
      passagewayId: lane.passagewayId,
      orderId: car.orderId,
      plate: car.plate,
      owedFen,
      message: qrCode
        ? `请扫码缴费 ${yuan(owedFen)} 元`
        : r.payment
          ? `已扣费, 仍需缴费 ${r.owed ?? ''} 元`
          : `请缴费 ${yuan(owedFen)} 元${r.result.errorCode ? ` (${r.result.errorCode})` : r.result.error ? ' (平台无应答)' : ''}`,
      since: this.now(),
    };
    if (qrCode && r.outTradeNo) {
      screen.qrCode = qrCode;
      screen.outTradeNo = r.outTradeNo;
      screen.pollUntil = this.now() + QR_POLL.forMs;
      this.pollQr(r.outTradeNo, car.orderId, screen.pollUntil);
    }
    this.laneScreens.set(lane.passagewayId, screen);
    return r;
  }

  /** Poll 4.17 for a QR on a lane screen until it is paid, the car is gone or the QR lapses. */
  private pollQr(outTradeNo: string, orderId: string, until: number): void {
    const started = this.now();
    const next = () => this.now() + (this.now() - started < QR_POLL.fastForMs ? QR_POLL.fastMs : QR_POLL.slowMs);
    const stillWaiting = () => {
      const car = this.state.cars.get(orderId);
      return car !== undefined && car.outTime === undefined && car.waitingAt !== undefined && this.qrPolls.has(outTradeNo);
    };
    const tick = async () => {
      if (!stillWaiting()) {
        this.qrPolls.delete(outTradeNo);
        return;
      }
      const r = await this.qrPayResult({ outTradeNo });
      if (r.left || r.payment || !stillWaiting()) {
        this.qrPolls.delete(outTradeNo);
        return;
      }
      if (this.now() >= until) {
        this.qrPolls.delete(outTradeNo);
        const car = this.state.cars.get(orderId);
        const screen = car?.waitingAt !== undefined ? this.laneScreens.get(car.waitingAt) : undefined;
        if (screen?.outTradeNo === outTradeNo) {
          screen.qrCode = undefined;
          screen.message = '二维码已过期, 请重新识别车牌';
        }
        return;
      }
      this.qrPolls.set(outTradeNo, this.deps.scheduler.at(next(), tick));
    };
    this.qrPolls.get(outTradeNo)?.();
    this.qrPolls.set(outTradeNo, this.deps.scheduler.at(next(), tick));
  }

  /** The exit lane screens that still have a car waiting at them. */
  screens(): LaneScreen[] {
    return [...this.laneScreens.values()].filter((sc) => {
      const car = this.state.cars.get(sc.orderId);
      return car !== undefined && car.outTime === undefined && car.waitingAt === sc.passagewayId;
    });
  }

  /** What the stay costs now (no quote is made). */
  priceNow(orderId: string) {
    const car = this.state.cars.get(orderId);
    if (!car) throw new Refusal('not_found', `no stay ${orderId}`);
    const p = this.state.price(car);
    return {
      orderId,
      plate: car.plate,
      inTime: formatChinaTime(car.inTime),
      at: formatChinaTime(p.at),
      pricedUntil: formatChinaTime(p.end),
      charge: yuan(p.chargeFen),
      paidTotal: yuan(p.paidFen),
      profitChargeTotal: yuan(p.profitFen),
      profitTimeTotal: p.profitMinutes,
      payCharge: yuan(p.payChargeFen),
      stopTimeTotal: p.stopMinutes,
      paidfreeTime: p.paidFreeMinutes,
      inPaidFreeTime: p.inPaidFreeTime,
      left: car.outTime !== undefined,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Heartbeat (4.1) and records through the outbox

  async heartbeat(): Promise<UpResult> {
    const result = await this.deps.link.send(this.definition, '4.1', this.state.counts());
    this.heartbeats.push({ at: formatChinaTime(result.at), acknowledged: result.acknowledged, error: result.error });
    if (this.heartbeats.length > 50) this.heartbeats.splice(0, this.heartbeats.length - 50);
    return result;
  }

  /** 4.21: every lane (the lot sends them when they change). */
  async sendChannels(wait?: boolean): Promise<OutboxItem> {
    const datas = this.state.channels();
    const item = this.deps.outbox.enqueue(this.parkNumber, 'channels', 'lanes', { parkNumber: this.parkNumber, size: datas.length, datas });
    await this.settle(wait);
    return item;
  }

  /** 4.14: pictures by name, or the entry and exit pictures of a stay. */
  async sendImages(o: { names?: string[]; orderId?: string }, wait?: boolean): Promise<OutboxItem[]> {
    let names = o.names ?? [];
    if (o.orderId) {
      const car = this.state.cars.get(o.orderId);
      if (!car) throw new Refusal('not_found', `no stay ${o.orderId}`);
      names = [car.inImage, ...(car.outImage ? [car.outImage] : [])];
    }
    const items: OutboxItem[] = [];
    for (const name of names) {
      const bytes = this.state.images.get(name);
      if (!bytes) throw new Refusal('not_found', `no picture ${name}`);
      items.push(
        this.deps.outbox.enqueue(this.parkNumber, 'image', name, {
          parkNumber: this.parkNumber,
          imageName: name,
          image: bytes.toString('base64'),
        }),
      );
    }
    await this.settle(wait);
    return items;
  }

  /** 4.15 record of one payment. */
  chargeRecord(car: Car, p: Payment) {
    // 4.15 outChannel: "只在出口通道处现金缴费才有".
    const outLane = p.laneId !== undefined ? this.state.lane(p.laneId) : undefined;
    return {
      plate: car.plate,
      inTime: formatChinaTime(car.inTime),
      outTime: p.getTime,
      inChannel: car.inChannel,
      outChannel: outLane?.name ?? '',
      payKind: p.payKind,
      payChannel: p.payChannel,
      orderId: car.orderId,
      carType: car.carType,
      payNo: p.payNo,
      memo: '',
      charge: yuan(p.quotedFen),
      realCharge: yuan(p.fen),
      couponCharge: '0.00',
    };
  }

  /** 4.15: the payments of a stay (the lot sends its cash payments by itself). */
  async sendChargeRecords(orderId: string, wait?: boolean): Promise<OutboxItem[]> {
    const car = this.state.cars.get(orderId);
    if (!car) throw new Refusal('not_found', `no stay ${orderId}`);
    if (car.payments.length === 0) throw new Refusal('no_payments', `stay ${orderId} has no payments`);
    const items = car.payments.map((p) => this.deps.outbox.enqueue(this.parkNumber, 'chargeRecord', orderId, this.chargeRecord(car, p), p.receivedAt));
    await this.settle(wait);
    return items;
  }

  /** 4.31 fixed-car renewals paid at the lot (fields default to a one-month cash renewal). */
  async sendRenewals(datas: (Partial<Renewal> & { plate: string })[], wait?: boolean): Promise<OutboxItem> {
    const now = this.now();
    const full = datas.map((d) => {
      this.renewalSeq += 1;
      return {
        plate: d.plate,
        carGroupName: d.carGroupName ?? '月租车',
        payTime: d.payTime ?? formatChinaTime(now),
        payCharge: d.payCharge ?? '300.00',
        number: d.number ?? '',
        feeMonth: d.feeMonth ?? '1',
        end: d.end ?? `${formatChinaDate(now + 30 * 86_400_000)} 23:59:59`,
        placeFeeOrderRecId: d.placeFeeOrderRecId ?? `RN${this.parkNumber}${String(this.renewalSeq).padStart(6, '0')}`,
        carOwnerName: d.carOwnerName ?? '',
        payType: d.payType ?? '现金',
        orderNo: d.orderNo ?? '',
      };
    });
    const item = this.deps.outbox.enqueue(this.parkNumber, 'renewals', full.map((d) => d.plate).join(','), {
      parkNumber: this.parkNumber,
      method: 'parkingspacefee',
      size: full.length,
      datas: full,
    });
    await this.settle(wait);
    return item;
  }

  /**
   * A monthly card renewed AT THE BOOTH, as a lot does it: the plate's whitelist entry is extended by
   * `months` from its last valid day (from today when it has lapsed) in every area it has, the lot reports
   * the renewal (4.31, its end the new last day 23:59:59) and the changed entry (4.32 operate 2).
   */
  async renewAtBooth(o: { plate: string; months: number; payChargeFen: number; payType?: string }, wait?: boolean): Promise<{ end: string; renewal: OutboxItem }> {
    const record = this.state.white.get(normalizePlate(o.plate));
    if (!record) throw new Refusal('not_found', `${o.plate} is not on the lot's whitelist`);
    const today = formatChinaDate(this.now());
    const extend = (end: string) => (end !== '' && end >= today ? addMonths(end, o.months) : addMonths(dayBefore(today), o.months));
    const e = record.entry;
    const areas = e.areasAndValidity.map((a) => ({ ...a, start: a.end !== '' && a.end >= today ? a.start : today, end: extend(a.end) }));
    const end = [extend(e.end), ...areas.map((a) => a.end)].sort().at(-1)!;
    const start = e.end !== '' && e.end >= today ? e.start : today;
    const updated = this.state.upsertWhite({ ...e, start, end, areasAndValidity: areas }, record.source);
    const renewal = await this.sendRenewals(
      [{ plate: e.plate, feeMonth: String(o.months), payCharge: fenToYuan(o.payChargeFen), end: `${end} 23:59:59`, payType: o.payType ?? '现金', carOwnerName: e.name }],
      wait,
    );
    this.deps.outbox.enqueue(this.parkNumber, 'fixedList', e.plate, {
      parkNumber: this.parkNumber,
      method: 'fixedListUp',
      size: 1,
      datas: [{ ...updated.entry, fixedId: updated.fixedId, timeStamp: String(updated.updatedAt), source: updated.source, operate: '2' }],
    });
    await this.settle(wait);
    return { end, renewal };
  }

  /** 4.32: the whole whitelist (online and offline) or some plates, with one operate code. */
  async sendFixedList(o: { plates?: string[]; operate?: '1' | '2' | '3' } = {}, wait?: boolean): Promise<OutboxItem> {
    const records = [...this.state.white.values()].filter(
      (w) => !o.plates || o.plates.some((p) => this.state.white.get(normalizePlate(p)) === w),
    );
    if (records.length === 0) throw new Refusal('empty', 'no whitelist entries to send');
    const datas = records.map((w) => ({
      ...w.entry,
      fixedId: w.fixedId,
      timeStamp: String(w.updatedAt),
      source: w.source,
      operate: o.operate ?? '1',
    }));
    const item = this.deps.outbox.enqueue(this.parkNumber, 'fixedList', `${datas.length} entries`, {
      parkNumber: this.parkNumber,
      method: 'fixedListUp',
      size: datas.length,
      datas,
    });
    await this.settle(wait);
    return item;
  }

  /** Enter, change or delete a whitelist entry AT THE LOT (offline, source "2") and sync it (4.32). */
  async offlineWhite(entry: WhiteEntry, operate: '1' | '2' | '3' = '1', wait?: boolean): Promise<OutboxItem> {
    const record = this.state.upsertWhite(entry, '2');
    const item = this.deps.outbox.enqueue(this.parkNumber, 'fixedList', entry.plate, {
      parkNumber: this.parkNumber,
      method: 'fixedListUp',
      size: 1,
      datas: [{ ...record.entry, fixedId: record.fixedId, timeStamp: String(record.updatedAt), source: '2', operate }],
    });
    if (operate === '3') this.state.white.delete(normalizePlate(entry.plate));
    await this.settle(wait);
    return item;
  }

  // -------------------------------------------------------------------------------------------------------
  // Lane interactions that wait for ParkPay's answer

  /** 4.28: may this car pass? (success open / fail refuse / self the lot decides) */
  openGate(o: { plate: string; plateColor: string; carType: string; confidence: number; passageway: string; inOutType: 1 | 2; area: string }): Promise<UpResult> {
    return this.deps.link.send(this.definition, '4.28', {
      parkNumber: this.parkNumber,
      method: 'opengate',
      plate: o.plate,
      plateColor: o.plateColor,
      carType: o.carType,
      confidence: o.confidence,
      doTime: formatChinaTime(this.now()),
      passageway: o.passageway,
      inOutType: o.inOutType,
      area: o.area,
    });
  }

  /** The car stands at an exit lane: price it there (outTradeNo with the lane's id). */
  private atExit(laneIdOrName: string, orderId: string) {
    const lane = this.state.lane(laneIdOrName);
    if (!lane) throw new Refusal('unknown_lane', `no lane ${laneIdOrName}`);
    if (lane.direction !== 'out') throw new Refusal('not_an_exit_lane', `lane ${lane.name} is an entry`);
    const car = this.state.findCar({ orderId });
    if (!car) throw new Refusal('not_in_park', `stay ${orderId} is not in the park`);
    car.waitingAt = lane.passagewayId;
    const { quote, priced } = this.state.quote(car, lane.passagewayId, 0, 'lane');
    return { lane, car, quote, priced };
  }

  private record(car: Car, p: { payNo: string; outTradeNo: string; fen: number; quotedFen: number; payTime?: string; payKind: string; payChannel: string; via: string }) {
    try {
      const { payment } = this.state.recordOnlinePayment({
        payNo: p.payNo,
        orderId: car.orderId,
        outTradeNo: p.outTradeNo,
        plate: car.plate,
        fen: p.fen,
        quotedFen: p.quotedFen,
        payTime: p.payTime && p.payTime !== '' ? p.payTime : formatChinaTime(this.now()),
        payKind: p.payKind,
        payChannel: p.payChannel,
        via: p.via,
      });
      return { payment };
    } catch (e) {
      return { recordError: (e as Error).message };
    }
  }

  private async finish(car: Car, r: LaneFlowResult): Promise<LaneFlowResult> {
    await this.settle(true);
    const left = car.outTime !== undefined;
    return { ...r, left, owed: left ? '0.00' : yuan(this.state.price(car).payChargeFen) };
  }

  /** 4.13: ask ParkPay to price the stay at the exit; a realCharge it says it collected is recorded. */
  async preExitPricing(o: { lane: string; orderId: string }): Promise<LaneFlowResult> {
    const { car, quote, priced, lane } = this.atExit(o.lane, o.orderId);
    const now = this.now();
    const outImage = this.state.images.take(lane.passagewayId, now, car.orderId, compactChinaTime(formatChinaTime(now)));
    const result = await this.deps.link.send(this.definition, '4.13', {
      parkNumber: this.parkNumber,
      plate: car.plate,
      orderId: car.orderId,
      charge: yuan(priced.chargeFen),
      onLineCharge: yuan(priced.onlineFen),
      offLineCharge: yuan(priced.offlineFen),
      profitCharge: yuan(priced.profitFen),
      profitTime: String(priced.profitMinutes),
      payCharge: yuan(priced.payChargeFen),
      outTradeNo: quote.outTradeNo,
      userType: '0',
      value: '0',
      memo: '',
      inTime: formatChinaTime(car.inTime),
      outTime: formatChinaTime(now),
      inImage: car.inImage,
      outImage,
      inChannel: car.inChannel,
      outChannel: lane.name,
    });
    let rec: { payment?: Payment; recordError?: string } = {};
    if (result.acknowledged) {
      const d = (result.answer as { datas: { realCharge: string; payKind: string; chargeList: { payNo: string }[] } }).datas;
      const fen = yuanToFen(d.realCharge);
      if (fen > 0) {
        rec = this.record(car, {
          payNo: d.chargeList[0]?.payNo || `PRE${quote.outTradeNo}`,
          outTradeNo: quote.outTradeNo,
          fen,
          quotedFen: quote.payChargeFen,
          payKind: d.payKind,
          payChannel: '第三方算费',
          via: '4.13',
        });
      }
    }
    return this.finish(car, { result, outTradeNo: quote.outTradeNo, ...rec });
  }

  /** 4.16: ask ParkPay to withhold (agreement → paid, the barrier opens) or for a payment QR (poll 4.17). */
  async withholdOrQr(o: { lane: string; orderId: string }): Promise<LaneFlowResult> {
    const { car, quote } = this.atExit(o.lane, o.orderId);
    if (car.plate === '') throw new Refusal('no_plate', '4.16 needs a plate');
    const result = await this.deps.link.send(this.definition, '4.16', {
      parkNumber: this.parkNumber,
      outTradeNo: quote.outTradeNo,
      payCharge: yuan(quote.payChargeFen),
      plate: car.plate,
    });
    let rec: { payment?: Payment; recordError?: string } = {};
    const agreement = result.acknowledged
      ? (result.answer as { datas: { agreement?: { payType: string; totalFee: string; tradeNo: string } } }).datas.agreement
      : undefined;
    if (agreement) {
      rec = this.record(car, {
        payNo: agreement.tradeNo || `WH${quote.outTradeNo}`,
        outTradeNo: quote.outTradeNo,
        fen: yuanToFen(agreement.totalFee),
        quotedFen: quote.payChargeFen,
        payKind: agreement.payType,
        payChannel: '无感付',
        via: '4.16',
      });
    }
    return this.finish(car, { result, outTradeNo: quote.outTradeNo, ...rec });
  }

  /** 4.17: has the 4.16 QR been paid? */
  async qrPayResult(o: { outTradeNo: string }): Promise<LaneFlowResult> {
    const quote = this.state.quotes.get(o.outTradeNo);
    if (!quote) throw new Refusal('not_found', `no quote ${o.outTradeNo}`);
    const car = this.state.cars.get(quote.orderId)!;
    const result = await this.deps.link.send(this.definition, '4.17', { parkNumber: this.parkNumber, outTradeNo: o.outTradeNo });
    let rec: { payment?: Payment; recordError?: string } = {};
    if (result.acknowledged && car.outTime === undefined) {
      const d = (result.answer as { datas: { payType: string; totalFee: string; tradeNo: string } }).datas;
      rec = this.record(car, {
        payNo: d.tradeNo || `QR${o.outTradeNo}`,
        outTradeNo: o.outTradeNo,
        fen: yuanToFen(d.totalFee),
        quotedFen: quote.payChargeFen,
        payKind: d.payType,
        payChannel: '扫码付',
        via: '4.17',
      });
    }
    return this.finish(car, { result, outTradeNo: o.outTradeNo, ...rec });
  }

  /** 4.24: the booth scanned the driver's payment code (USERPAYING starts 4.25 polling every second for 5 min, then 4.26). */
  async faceToFacePay(o: { lane: string; orderId: string; authCode: string; poll?: boolean }): Promise<LaneFlowResult> {
    const { car, quote } = this.atExit(o.lane, o.orderId);
    const result = await this.deps.link.send(this.definition, '4.24', {
      parkNumber: this.parkNumber,
      outTradeNo: quote.outTradeNo,
      payCharge: yuan(quote.payChargeFen),
      plate: car.plate,
      authCode: o.authCode,
      orderId: car.orderId,
    });
    let rec: { payment?: Payment; recordError?: string } = {};
    if (result.acknowledged) {
      const d = (result.answer as { datas: { payContent?: PayContent; discountContent?: DiscountContent } }).datas;
      if (d.payContent) rec = this.recordFaceToFace(car, quote.outTradeNo, quote.payChargeFen, d.payContent, '4.24');
      if (d.discountContent) rec = this.recordDiscount(car, d.discountContent);
    } else if (result.httpStatus === 200 && result.errorCode === USERPAYING && o.poll !== false) {
      this.startPolling(quote.outTradeNo, car.orderId);
    }
    return this.finish(car, { result, outTradeNo: quote.outTradeNo, ...rec });
  }

  private recordFaceToFace(car: Car, outTradeNo: string, quotedFen: number, p: PayContent, via: string) {
    return this.record(car, {
      payNo: p.tradeNo || `F2F${outTradeNo}`,
      outTradeNo,
      fen: yuanToFen(p.payCharge),
      quotedFen,
      payTime: p.payTime,
      payKind: p.payType || '第三方当面付',
      payChannel: '当面付',
      via,
    });
  }

  private recordDiscount(car: Car, d: DiscountContent): { recordError?: string } {
    try {
      this.state.addCoupons(
        [
          {
            id: d.id,
            couponCode: d.coupon_code,
            couponModeId: d.coupon_mode_id,
            end: d.end,
            endMs: d.end === '' ? Number.MAX_SAFE_INTEGER : parseChinaTime(d.end).getTime(),
            orderId: car.orderId,
            plate: '',
            position: Number(d.position),
          },
        ],
        '4.24',
      );
      return {};
    } catch (e) {
      return { recordError: (e as Error).message };
    }
  }

  private startPolling(outTradeNo: string, orderId: string): void {
    const until = this.now() + 5 * 60_000;
    const entry: { orderId: string; until: number; cancel?: () => void } = { orderId, until };
    const tick = async () => {
      if (this.faceToFace.get(outTradeNo) !== entry) return;
      const r = await this.faceToFacePoll({ outTradeNo });
      if (this.faceToFace.get(outTradeNo) !== entry) return;
      if (r.payment || r.left) {
        this.faceToFace.delete(outTradeNo);
      } else if (this.now() >= until) {
        await this.faceToFaceCancel({ outTradeNo });
      } else {
        entry.cancel = this.deps.scheduler.at(this.now() + 1000, tick);
      }
    };
    entry.cancel = this.deps.scheduler.at(this.now() + 1000, tick);
    this.faceToFace.set(outTradeNo, entry);
  }

  private faceToFaceOrder(outTradeNo: string) {
    const quote = this.state.quotes.get(outTradeNo);
    if (!quote) throw new Refusal('not_found', `no quote ${outTradeNo}`);
    const car = this.state.cars.get(quote.orderId)!;
    return { quote, car, body: { parkNumber: this.parkNumber, outTradeNo, plate: car.plate, orderId: car.orderId } };
  }

  /** 4.25: poll a face-to-face payment. */
  async faceToFacePoll(o: { outTradeNo: string }): Promise<LaneFlowResult> {
    const { quote, car, body } = this.faceToFaceOrder(o.outTradeNo);
    const result = await this.deps.link.send(this.definition, '4.25', body);
    let rec: { payment?: Payment; recordError?: string } = {};
    if (result.acknowledged && car.outTime === undefined) {
      rec = this.recordFaceToFace(car, o.outTradeNo, quote.payChargeFen, (result.answer as { datas: PayContent }).datas, '4.25');
      this.faceToFace.get(o.outTradeNo)?.cancel?.();
      this.faceToFace.delete(o.outTradeNo);
    }
    return this.finish(car, { result, outTradeNo: o.outTradeNo, ...rec });
  }

  /** 4.26: give up on a face-to-face payment. */
  async faceToFaceCancel(o: { outTradeNo: string }): Promise<LaneFlowResult> {
    const { car, body } = this.faceToFaceOrder(o.outTradeNo);
    this.faceToFace.get(o.outTradeNo)?.cancel?.();
    this.faceToFace.delete(o.outTradeNo);
    const result = await this.deps.link.send(this.definition, '4.26', body);
    return this.finish(car, { result, outTradeNo: o.outTradeNo });
  }

  /** 4.27: the driver chose ParkPay in Bluecard's page: success means paid, the barrier opens. */
  async channelPay(o: { lane: string; orderId: string }): Promise<LaneFlowResult> {
    const { car, quote } = this.atExit(o.lane, o.orderId);
    if (car.plate === '') throw new Refusal('no_plate', '4.27 needs a plate');
    const result = await this.deps.link.send(this.definition, '4.27', {
      parkNumber: this.parkNumber,
      plateID: encodeURIComponent(car.plate),
      payCharge: yuan(quote.payChargeFen),
      outTradeNo: quote.outTradeNo,
    });
    let rec: { payment?: Payment; recordError?: string } = {};
    if (result.acknowledged) {
      rec = this.record(car, {
        payNo: `CP${quote.outTradeNo}`,
        outTradeNo: quote.outTradeNo,
        fen: quote.payChargeFen,
        quotedFen: quote.payChargeFen,
        payKind: '第三方支付',
        payChannel: '通道付',
        via: '4.27',
      });
    }
    return this.finish(car, { result, outTradeNo: quote.outTradeNo, ...rec });
  }

  // -------------------------------------------------------------------------------------------------------

  dump() {
    return {
      ...this.state.dump(),
      heartbeats: this.heartbeats,
      faceToFacePolling: [...this.faceToFace.entries()].map(([outTradeNo, f]) => ({ outTradeNo, orderId: f.orderId, until: formatChinaTime(f.until) })),
      outbox: this.deps.outbox.view(this.parkNumber),
    };
  }
}

export interface Departure {
  orderId: string;
  record: ExitRecord;
  exitDelivery: unknown;
  openGate?: UpResult;
  /** How the lot was paid at the lane (4.16 withholding, 4.24 payment code), when it asked ParkPay. */
  lanePayment?: ReturnType<typeof laneFlowSummary>;
}

/** A lane interaction, short: what ParkPay answered and what the lot did with it. */
export function laneFlowSummary(r: LaneFlowResult) {
  return {
    section: r.result.section,
    acknowledged: r.result.acknowledged,
    status: r.result.status,
    errorCode: r.result.errorCode,
    error: r.result.error,
    outTradeNo: r.outTradeNo,
    paid: r.payment ? yuan(r.payment.fen) : undefined,
    recordError: r.recordError,
    owed: r.owed,
    left: r.left,
  };
}

interface PayContent {
  tradeNo: string;
  payCharge: string;
  payTime: string;
  payType: string;
}

interface DiscountContent {
  coupon_code: string;
  coupon_mode_id: '0' | '1';
  end: string;
  id: string;
  position: string;
}

/** The day before a China date (yyyy-MM-dd). */
function dayBefore(d: string): string {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, day - 1));
  return t.toISOString().slice(0, 10);
}

/** `months` later, the last day of a month staying the last day (a monthly card's end as lots compute it). */
function addMonths(d: string, months: number): string {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  const daysIn = (yy: number, mm: number) => new Date(Date.UTC(yy, mm, 0)).getUTCDate();
  const index = y * 12 + (m - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = (index % 12) + 1;
  const nd = day === daysIn(y, m) ? daysIn(ny, nm) : Math.min(day, daysIn(ny, nm));
  return `${ny}-${String(nm).padStart(2, '0')}-${String(nd).padStart(2, '0')}`;
}
