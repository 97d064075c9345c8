/**
 * The soak's one process hosts five invocations, the fault proxy and every stand-in, where Lambda gives
 * each invocation its own process. When that process is busy (or the machine is), a timer fires late and
 * an answer already on the socket is read late: the SDK's request timeout can fire for an attempt the
 * service answered in time. This watch records each stretch in which the event loop did not turn, so a
 * timed-out attempt can be set against the stalls that happened while it waited.
 */
export interface EventLoopStall {
  /** When the loop stopped turning and when it turned again (ms since the epoch). */
  readonly from: number;
  readonly to: number;
}

export interface EventLoopStalls {
  /** The stalls that overlap `from`..`to`, each cut to that window. */
  between(from: number, to: number): EventLoopStall[];
  stop(): void;
}

/** How often the watch looks, and how late a look must be to count as a stall (every one that matters adds up). */
const TICK_MS = 20;
const STALL_MS = 10;
/** Longer than any attempt that may ask. */
const KEPT_MS = 5 * 60_000;

export function watchEventLoopStalls(): EventLoopStalls {
  const stalls: EventLoopStall[] = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last >= TICK_MS + STALL_MS) stalls.push({ from: last + TICK_MS, to: now });
    while (stalls.length > 0 && (stalls[0]?.to ?? now) < now - KEPT_MS) stalls.shift();
    last = now;
  }, TICK_MS);
  timer.unref();
  return {
    between(from, to) {
      // The stall this call itself ends, if the watch has not looked since.
      const now = Date.now();
      const current = now - last >= TICK_MS + STALL_MS ? [{ from: last + TICK_MS, to: now }] : [];
      return [...stalls, ...current]
        .filter((stall) => stall.to > from && stall.from < to)
        .map((stall) => ({ from: Math.max(stall.from, from), to: Math.min(stall.to, to) }));
    },
    stop: () => clearInterval(timer),
  };
}
