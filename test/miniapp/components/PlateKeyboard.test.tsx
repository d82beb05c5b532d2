import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { PlateKeyboard } from '../../../miniapp/src/components/PlateKeyboard';
import { PLATE_LETTERS, backspace, canType, panelFor, typeKey } from '../../../miniapp/src/services/plateKeys';

function Harness({ initial = '', startOpen = true }: { initial?: string; startOpen?: boolean }) {
  const [v, setV] = useState(initial);
  const [open, setOpen] = useState(startOpen);
  return (
    <>
      <PlateKeyboard value={v} onChange={setV} open={open} onOpenChange={setOpen}>
        <button type="button">查询费用</button>
      </PlateKeyboard>
      <span data-testid="value">{v}</span>
    </>
  );
}
const key = (k: string) => document.querySelector(`.pk-key[data-key="${k}"]`) as HTMLElement | null;
const press = (...keys: string[]) => keys.forEach((k) => fireEvent.click(key(k === '删除' ? 'del' : k)!));
const value = () => screen.getByTestId('value').textContent;

describe('plate keyboard rules', () => {
  it('province first, then a letter, then letters and digits; never I or O', () => {
    expect(panelFor('')).toBe('province');
    expect(panelFor('京')).toBe('alnum');
    expect(canType('', '京')).toBe(true);
    expect(canType('', 'A')).toBe(false);
    expect(canType('京', '1')).toBe(false);
    expect(canType('京', 'A')).toBe(true);
    expect(canType('京A', '1')).toBe(true);
    expect(PLATE_LETTERS).not.toContain('I');
    expect(PLATE_LETTERS).not.toContain('O');
    expect(canType('京A', 'I')).toBe(false);
    expect(canType('京A', 'O')).toBe(false);
  });

  it('suffixes only at the 7th place, nothing after them; at most 8 characters', () => {
    expect(canType('粤B1234', '港')).toBe(true);
    expect(canType('粤B123', '港')).toBe(false);
    expect(canType('粤B1234港', '5')).toBe(false);
    expect(canType('京AD12345', '6')).toBe(false);
    expect(typeKey('京AD12345', '6')).toBe('京AD12345');
    expect(backspace('京A')).toBe('京');
    expect(backspace('')).toBe('');
  });
});

describe('<PlateKeyboard>', () => {
  it('types an ordinary plate and says when it is a plausible one', () => {
    render(<Harness />);
    expect(key('A')).toBeNull(); // the province panel
    expect(screen.getByText('请输入车牌号')).toBeTruthy();
    press('京');
    expect(key('京')).toBeNull(); // now letters and digits
    press('1'); // not a letter: ignored at the 2nd place
    expect(value()).toBe('京');
    press('A', '1', '2', '3', '4');
    expect(screen.getByText('继续输入…')).toBeTruthy();
    press('5');
    expect(value()).toBe('京A12345');
    expect(screen.getByText('车牌 京A12345')).toBeTruthy();
  });

  it('has no I or O key, and greys out what cannot come next', () => {
    render(<Harness initial="京" />);
    expect(key('I')).toBeNull();
    expect(key('O')).toBeNull();
    expect(key('1')!.className).toContain('pk-key-off');
    expect(key('A')!.className).not.toContain('pk-key-off');
  });

  it('takes an 8th character for a new-energy plate, and no 9th', () => {
    render(<Harness initial="京AD1234" />);
    press('5');
    expect(value()).toBe('京AD12345');
    expect(screen.getByText('车牌 京AD12345')).toBeTruthy();
    press('6');
    expect(value()).toBe('京AD12345');
  });

  it('says when 7 or 8 characters are not a plate', () => {
    render(<Harness initial="京A1234" />);
    press('挂'); // a trailer suffix at the 7th place: fine
    expect(screen.getByText('车牌 京A1234挂')).toBeTruthy();
    press('删除');
    expect(value()).toBe('京A1234');
    press('5', '6'); // 京A123456: 8 characters without D/F is no new-energy plate
    expect(screen.getByText('车牌号格式不对')).toBeTruthy();
  });

  it('no row is wider than ten keys (a key a tenth of the screen), on either panel', () => {
    // The third province row was 12 keys and 删除 (−6…396 px on a 390 px screen).
    const widths = () =>
      Array.from(document.querySelectorAll('.pk-row')).map((row) =>
        Array.from(row.querySelectorAll('.pk-key')).reduce((n, k) => n + (k.className.includes('pk-key-wide') ? 2 : 1), 0),
      );
    render(<Harness />);
    expect(widths().length).toBeGreaterThan(0);
    expect(Math.max(...widths())).toBeLessThanOrEqual(10);
    press('京');
    expect(Math.max(...widths())).toBeLessThanOrEqual(10);
    // Every key is there: 31 provinces and 临; 10 digits, 24 letters, 6 suffixes; and 删除.
    expect(document.querySelectorAll('.pk-key').length).toBe(10 + 24 + 6 + 1);
  });

  it('opens from the boxes, closes with 完成; the page’s button stays right under the boxes', () => {
    render(<Harness startOpen={false} />);
    expect(key('京')).toBeNull();
    expect(screen.getByText('点击上方方框输入车牌')).toBeTruthy();
    expect(screen.getByText('查询费用')).toBeTruthy();
    fireEvent.click(document.querySelector('.pk-boxes')!);
    expect(key('京')).not.toBeNull();
    expect(document.querySelectorAll('.pk-key').length).toBe(32 + 1);
    fireEvent.click(screen.getByText('完成'));
    expect(key('京')).toBeNull();
  });

  it('deletes back to the province panel', () => {
    render(<Harness initial="京A" />);
    press('删除', '删除');
    expect(value()).toBe('');
    expect(key('京')).not.toBeNull();
  });
});
