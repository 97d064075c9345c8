import { describe, expect, it } from "vitest";
import { createConcurrencyLimit } from "../../lambdas/runtime/concurrency-limit.js";

/** A task the test finishes by hand (before or after it starts), recording when it started. */
function manualTask(started: number[], id: number) {
  let finish: (fail?: Error) => void = () => {};
  const done = new Promise<number>((resolve, reject) => {
    finish = (fail) => (fail ? reject(fail) : resolve(id));
  });
  // Not yet awaited by anyone: a failure finished early must not count as unhandled.
  done.catch(() => undefined);
  const task = () => {
    started.push(id);
    return done;
  };
  return { task, finish: (fail?: Error) => finish(fail) };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("a concurrency limit", () => {
  it("starts at most its limit of tasks, and the next one only when one finishes", async () => {
    const limit = createConcurrencyLimit(2);
    const started: number[] = [];
    const tasks = [1, 2, 3, 4].map((id) => manualTask(started, id));

    const results = tasks.map(({ task }) => limit.run(task));
    await settle();
    const atFirst = [...started];
    tasks[1]?.finish();
    await settle();
    const afterOne = [...started];
    for (const { finish } of tasks) finish();

    expect(atFirst).toEqual([1, 2]);
    expect(afterOne).toEqual([1, 2, 3]);
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4]);
  });

  it("starts waiting tasks in the order they came", async () => {
    const limit = createConcurrencyLimit(1);
    const started: number[] = [];
    const first = manualTask(started, 1);
    const waiting = [2, 3, 4].map((id) => manualTask(started, id));

    const running = limit.run(first.task);
    const queued = waiting.map(({ task }) => limit.run(task));
    first.finish();
    const late = limit.run(async () => {
      started.push(5);
      return 5;
    });
    await running;
    for (const { finish } of waiting) {
      await settle();
      finish();
    }
    await Promise.all([...queued, late]);

    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  it("frees the slot of a task that fails, and hands its error to the caller", async () => {
    const limit = createConcurrencyLimit(1);
    const started: number[] = [];
    const failing = manualTask(started, 1);
    const next = manualTask(started, 2);

    const failed = limit.run(failing.task);
    const after = limit.run(next.task);
    failing.finish(new Error("throttled"));
    await expect(failed).rejects.toThrow("throttled");
    await settle();
    next.finish();

    expect(await after).toBe(2);
  });

  it("keeps thousands of waiting tasks to the limit", async () => {
    const limit = createConcurrencyLimit(3);
    let inFlight = 0;
    let peak = 0;

    const results = await Promise.all(
      Array.from({ length: 5_000 }, (_, index) =>
        limit.run(async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await settle();
          inFlight--;
          return index;
        }),
      ),
    );

    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 5_000 }, (_, index) => index));
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses a limit of %s", (max) => {
    expect(() => createConcurrencyLimit(max)).toThrow(/whole number of at least 1/);
  });
});
