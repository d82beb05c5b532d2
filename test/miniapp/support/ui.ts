/**
 * What a driver or operator does on a page, for the mini-program's tests: see a text (waiting for it to
 * appear), tap an element, type into one of Taro's inputs (its `input` event carries `detail.value`).
 */
import { act, fireEvent, screen } from '@testing-library/react';

export const see = (t: string | RegExp) => screen.findByText(t);

export async function tap(el: Element): Promise<void> {
  await act(async () => {
    fireEvent.click(el);
  });
}

export async function type(el: Element, value: string): Promise<void> {
  await act(async () => {
    fireEvent(el, new CustomEvent('input', { detail: { value } }));
  });
}
