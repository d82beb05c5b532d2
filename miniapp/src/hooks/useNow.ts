/** The time now, ticking every `everyMs` while `on` (countdowns, live durations). */
import { useEffect, useState } from 'react';

export function useNow(everyMs = 1000, on = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return undefined;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs, on]);
  return now;
}
