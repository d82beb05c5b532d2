/** Load something once (and again on reload): loading → ok | error, never an unhandled rejection. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorOf } from '../services/api';

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'ok'; data: T }
  | { state: 'error'; error: { code: string; message: string } };

export function useLoader<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> & { reload: () => void; set: (data: T) => void } {
  const [value, setValue] = useState<Loaded<T>>({ state: 'loading' });
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useCallback(() => {
    const mine = ++seq.current;
    setValue({ state: 'loading' });
    loadRef.current().then(
      (data) => mine === seq.current && setValue({ state: 'ok', data }),
      (e: unknown) => mine === seq.current && setValue({ state: 'error', error: errorOf(e) }),
    );
  }, []);
  useEffect(run, deps);
  useEffect(() => () => void ++seq.current, []);
  return { ...value, reload: run, set: (data: T) => setValue({ state: 'ok', data }) };
}
