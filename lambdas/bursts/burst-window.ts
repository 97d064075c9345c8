/** A transport failure as burst detection sees it. */
export interface FailurePoint {
  /** `occurred_at`, epoch milliseconds. */
  readonly t: number;
  readonly reason: string;
  readonly key: string;
}

export interface BurstWindow {
  readonly startMs: number;
  /** Time of the failure that made the window reach the threshold. */
  readonly endMs: number;
  /** Every failure from `startMs` to `startMs + window`, the crossing ones first among them. */
  readonly members: readonly FailurePoint[];
}

/**
 * Finds the earliest window in which at least `threshold` failures have `occurred_at` within
 * `windowMs` of each other. Failures are de-duplicated by key, so a redelivered event counts once.
 */
export function findBurstWindow(
  failures: readonly FailurePoint[],
  threshold: number,
  windowMs: number,
): BurstWindow | undefined {
  const unique = [...new Map(failures.map((failure) => [failure.key, failure])).values()].sort(
    (a, b) => a.t - b.t || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  for (let first = 0; first + threshold - 1 < unique.length; first++) {
    const start = unique[first] as FailurePoint;
    const crossing = unique[first + threshold - 1] as FailurePoint;
    if (crossing.t - start.t <= windowMs) {
      return {
        startMs: start.t,
        endMs: crossing.t,
        members: unique.filter((failure) => failure.t >= start.t && failure.t <= start.t + windowMs),
      };
    }
  }
  return undefined;
}
