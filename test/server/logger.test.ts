import { Writable } from 'node:stream';
import { createLogger } from '../../server/src/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('logger', () => {
  it('never writes secrets', () => {
    const { lines, logger } = capture();
    logger.info({ parks: [{ parkNumber: 'p1', key: 'bluecard-key' }], req: { headers: { sign: 'abc123', authorization: 'Bearer tok' } } }, 'x');
    logger.info({ wechatPay: { apiV3Key: 'v3key-secret', merchantPrivateKey: '-----BEGIN' }, password: 'pw' }, 'y');
    const out = lines.join('');
    for (const secret of ['bluecard-key', 'abc123', 'Bearer tok', 'v3key-secret', 'BEGIN', '"pw"']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('p1');
    expect(out).toContain('[redacted]');
  });
});
