/** Runs asynchronous tasks with at most a fixed number of them in flight. */
export interface ConcurrencyLimit {
  /** The most tasks in flight at once. */
  readonly max: number;
  /** Runs `task` as soon as fewer than `max` are in flight; waiting tasks start in the order they came. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`a concurrency limit must be a whole number of at least 1, not ${max}`);
  }
  let inFlight = 0;
  // A queue with a moving head: shift() on a list of thousands of waiters would copy it each time.
  let waiting: (() => void)[] = [];
  let head = 0;

  const acquire = (): Promise<void> | undefined => {
    if (inFlight < max) {
      inFlight++;
      return undefined;
    }
    return new Promise<void>((start) => waiting.push(start));
  };
  const release = () => {
    const next = waiting[head];
    if (next === undefined) {
      inFlight--;
      return;
    }
    // The slot passes straight to the next waiter, so a task arriving meanwhile cannot jump the queue.
    head++;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
    next();
  };

  return {
    max,
    async run(task) {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
