/** The typed-change helpers every aggregate's table is checked with. */
import { canMove, change, finalStates, IllegalMove, type Moves } from '../../../server/src/core/state';

type Light = 'red' | 'green' | 'amber' | 'off';
const LIGHT: Moves<Light> = { red: ['green', 'off'], green: ['amber', 'off'], amber: ['red', 'off'], off: [] };

describe('typed state changes', () => {
  it('allows the moves of the table, and staying put', () => {
    expect(canMove(LIGHT, 'red', 'green')).toBe(true);
    expect(canMove(LIGHT, 'red', 'red')).toBe(true);
    expect(canMove(LIGHT, 'red', 'amber')).toBe(false);
    expect(canMove(LIGHT, 'off', 'red')).toBe(false);
  });

  it('builds a change whose every from-state may enter its to-state', () => {
    const c = change('light', LIGHT, { from: ['red', 'green'], to: 'off', set: { reason: 'night' } });
    expect(c).toEqual({ from: ['red', 'green'], to: 'off', set: { reason: 'night' } });
  });

  it('refuses a change the table does not allow, naming the move', () => {
    expect(() => change('light', LIGHT, { from: ['red', 'amber'], to: 'green', set: {} })).toThrow(IllegalMove);
    expect(() => change('light', LIGHT, { from: ['red', 'amber'], to: 'green', set: {} })).toThrow("light: no move from 'amber' to 'green'");
  });

  it('needs no check for a change that keeps the state', () => {
    expect(change('light', LIGHT, { from: ['off'], set: { seen: 1 } }).from).toEqual(['off']);
  });

  it('names the final states', () => {
    expect(finalStates(LIGHT)).toEqual(['off']);
  });
});
