/**
 * The server's time now, ticking every `everyMs` while `on` (countdowns, live durations): the times it is
 * compared with come from the server, whose clock the phone's may not match.
 */
import { useEffect, useState } from 'react';
import { serverNow } from '../services/serverClock';

export function useNow(everyMs = 1000, on = true): number {
  const [now, setNow] = useState(() => serverNow());
  useEffect(() => {
    if (!on) return undefined;
    setNow(serverNow());
    const t = setInterval(() => setNow(serverNow()), everyMs);
    return () => clearInterval(t);
  }, [everyMs, on]);
  return now;
}
