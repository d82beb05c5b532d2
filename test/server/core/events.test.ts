/** The event bus features react to each other's facts by. */
import { EventBus } from '../../../server/src/core/events';

interface Facts {
  paid: { orderNo: string };
  refunded: { orderNo: string; fen: number };
}

describe('event bus', () => {
  it('tells each listener of its event, in the order they subscribed, and no one else', () => {
    const bus = new EventBus<Facts>();
    const told: string[] = [];
    bus.on('paid', ({ orderNo }) => told.push(`a ${orderNo}`));
    bus.on('paid', ({ orderNo }) => told.push(`b ${orderNo}`));
    bus.on('refunded', ({ orderNo, fen }) => told.push(`refund ${orderNo} ${fen}`));
    bus.emit('paid', { orderNo: 'P1' });
    expect(told).toEqual(['a P1', 'b P1']);
    bus.emit('refunded', { orderNo: 'P1', fen: 400 });
    expect(told).toEqual(['a P1', 'b P1', 'refund P1 400']);
  });

  it('a listener that throws is reported, and the others still hear of the fact', () => {
    const errors: string[] = [];
    const bus = new EventBus<Facts>((err, event) => errors.push(`${event}: ${(err as Error).message}`));
    const told: string[] = [];
    bus.on('paid', () => {
      throw new Error('message not sent');
    });
    bus.on('paid', ({ orderNo }) => told.push(orderNo));
    expect(() => bus.emit('paid', { orderNo: 'P2' })).not.toThrow();
    expect(told).toEqual(['P2']);
    expect(errors).toEqual(['paid: message not sent']);
  });

  it('an unsubscribed listener hears nothing more', () => {
    const bus = new EventBus<Facts>();
    const told: string[] = [];
    const off = bus.on('paid', ({ orderNo }) => told.push(orderNo));
    bus.emit('paid', { orderNo: 'P3' });
    off();
    bus.emit('paid', { orderNo: 'P4' });
    expect(told).toEqual(['P3']);
  });
});
