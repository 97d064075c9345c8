import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const BASE = Date.parse("2026-11-20T10:00:00Z");
let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
  harness.clock.now = BASE;
});
afterEach(() => harness.close());

/** `count` migration transport failures, one second apart from `fromMs`. */
const failures = (count: number, fromMs: number) =>
  Array.from({ length: count }, (_, index) =>
    migrationFailure({ occurred_at: new Date(fromMs + index * 1000).toISOString() }),
  );

const recover = (atMs: number) => harness.recover(atMs);

describe("the recovery schedule", () => {
  it("resolves a delayed burst left open at the end of its own failures, not at a later failure of its group", async () => {
    // Seed 1 of the soak found this: a backlog burst the processor had opened but not yet resolved was
    // resolved by the schedule with a window running to the group's newest failure, days later.
    await harness.send(failures(1, BASE - 3_600_000));
    const twoDaysAgo = BASE - 2 * 86_400_000;
    harness.pager.failNext();
    await expect(harness.send(failures(5, twoDaysAgo))).rejects.toThrow(/SNS is unavailable/);

    const outcome = await recover(BASE);

    expect(outcome).toEqual({ open: 1, paged: 1, resolved: 1, reminded: 0 });
    expect(harness.pager.pages.map((page) => [page.action, page.delayed])).toEqual([
      ["trigger", true],
      ["resolve", true],
    ]);
    expect(harness.pager.pages[1]).toMatchObject({
      windowStart: "2026-11-18T10:00:00.000Z",
      lastFailureAt: "2026-11-18T10:00:04.000Z",
      transportCount: 5,
    });
  });

  it("keeps a live burst open while its group fails, and resolves it at the group's newest failure", async () => {
    await harness.send(failures(5, BASE));
    // A failure long after the window: the burst is still open, so it belongs to it.
    harness.clock.now = BASE + 50_000;
    await harness.send(failures(1, BASE + 50_000));

    const early = await recover(BASE + 90_000);
    const late = await recover(BASE + 110_000);

    expect(early).toEqual({ open: 1, paged: 0, resolved: 0, reminded: 0 });
    expect(late).toEqual({ open: 1, paged: 0, resolved: 1, reminded: 0 });
    expect(harness.pager.pages[1]).toMatchObject({
      action: "resolve",
      lastFailureAt: "2026-11-20T10:00:50.000Z",
      transportCount: 6,
    });
  });
});
