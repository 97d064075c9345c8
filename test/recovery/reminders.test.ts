import { afterEach, describe, expect, it } from "vitest";
import type { BurstPage } from "../../lambdas/pages/burst-page.js";
import { closeQuietBursts } from "../../lambdas/recovery/close-quiet-bursts.js";
import { DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import { createSilence } from "../../lambdas/silences/silence-store.js";
import { migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const BASE = Date.parse("2026-11-20T10:00:00Z");
const MINUTE = 60_000;
let harness: Harness;

afterEach(() => harness.close());

/** A harness whose migration hook reminds every `reminderMinutes` (undefined: the default, off). */
async function start(reminderMinutes?: number) {
  harness = await createHarness({
    rules: {
      migration: { ...DEFAULT_BURST_RULE, ...(reminderMinutes === undefined ? {} : { reminderMinutes }) },
    },
  });
  harness.clock.now = BASE;
  // Five transport failures a second apart page at BASE.
  await harness.send(
    Array.from({ length: 5 }, (_, index) =>
      migrationFailure({ occurred_at: new Date(BASE + index * 1000).toISOString() }),
    ),
  );
}

/** The hook keeps failing: one transport failure 10 s before `atMs`, so no run finds the burst quiet. */
async function failJustBefore(atMs: number) {
  harness.clock.now = atMs - 10_000;
  await harness.send([migrationFailure({ occurred_at: new Date(atMs - 10_000).toISOString() })]);
}

/** Runs the schedule each minute from minute 1 to `minutes`, the hook failing throughout. */
async function runMinutes(minutes: number) {
  for (let minute = 1; minute <= minutes; minute++) {
    await failJustBefore(BASE + minute * MINUTE);
    await harness.recover(BASE + minute * MINUTE);
  }
}

const reminders = () => harness.pager.pages.filter((page) => page.reminder !== undefined);

describe("reminders", () => {
  it("re-announces an open burst every reminderMinutes, under its page's dedup key, with its counts so far", async () => {
    await start(2);

    await runMinutes(5);

    const [page] = harness.pager.pages;
    expect(harness.pager.pages.map((sent) => [sent.action, sent.reminder?.number ?? 0, sent.at])).toEqual([
      ["trigger", 0, "2026-11-20T10:00:00.000Z"],
      ["trigger", 1, "2026-11-20T10:02:00.000Z"],
      ["trigger", 2, "2026-11-20T10:04:00.000Z"],
    ]);
    expect(reminders().map((sent) => sent.dedupKey)).toEqual([page?.dedupKey, page?.dedupKey]);
    expect(reminders()[1]).toMatchObject({
      reminder: { number: 2, openForSeconds: 240, everyMinutes: 2 },
      firstFailureAt: "2026-11-20T10:00:00.000Z",
      lastFailureAt: "2026-11-20T10:03:50.000Z",
      // The five that opened it and one failure per minute since.
      transportCount: 9,
    });
  });

  it("sends none with reminderMinutes unset (the default)", async () => {
    await start();

    await runMinutes(5);

    expect(harness.pager.pages.map((sent) => sent.action)).toEqual(["trigger"]);
    expect(harness.pager.pages.some((sent) => sent.reminder !== undefined)).toBe(false);
  });

  it("holds reminders while a silence set after the page covers the burst, and resumes when it ends", async () => {
    await start(1);
    const silence = {
      appId: harness.pager.pages[0]?.appId ?? "",
      hook: "migration" as const,
      startsAtMs: BASE + 30_000,
      endsAtMs: BASE + 3 * MINUTE + 30_000,
      reason: "planned database work",
      createdBy: "alice",
    };
    await createSilence(harness.burstTables, silence, BASE + 30_000);

    await runMinutes(5);

    // Minutes 1 to 3 fall in the silence; minute 4 is reminder 4 (missed intervals are not caught up).
    expect(reminders().map((sent) => [sent.reminder?.number, sent.at])).toEqual([
      [4, "2026-11-20T10:04:00.000Z"],
      [5, "2026-11-20T10:05:00.000Z"],
    ]);
  });

  it("sends one reminder for an interval however often the run is retried", async () => {
    await start(2);
    await runMinutes(1);
    await failJustBefore(BASE + 2 * MINUTE);

    const outcomes = [];
    for (let retry = 0; retry < 3; retry++)
      outcomes.push(await harness.recover(BASE + 2 * MINUTE + retry * 1000));

    expect(outcomes.map((outcome) => outcome.reminded)).toEqual([1, 0, 0]);
    expect(reminders().map((sent) => sent.reminder?.number)).toEqual([1]);
  });

  it("sends one reminder when two recovery runs race for the same interval", async () => {
    await start(2);
    await runMinutes(1);
    await failJustBefore(BASE + 2 * MINUTE);

    const outcomes = await Promise.all([
      harness.recover(BASE + 2 * MINUTE),
      harness.recover(BASE + 2 * MINUTE),
      harness.recover(BASE + 2 * MINUTE + 500),
    ]);

    expect(outcomes.reduce((sum, outcome) => sum + outcome.reminded, 0)).toBe(1);
    expect(reminders().map((sent) => sent.reminder?.number)).toEqual([1]);
  });

  it("sends the interval's reminder on the next run when SNS refused it, and only once", async () => {
    await start(2);
    await runMinutes(1);
    await failJustBefore(BASE + 2 * MINUTE);
    harness.pager.failNext();

    await expect(harness.recover(BASE + 2 * MINUTE)).rejects.toThrow(/SNS is unavailable/);
    await harness.recover(BASE + 2 * MINUTE + 20_000);
    await harness.recover(BASE + 2 * MINUTE + 40_000);

    expect(reminders().map((sent) => [sent.reminder?.number, sent.at])).toEqual([
      [1, "2026-11-20T10:02:20.000Z"],
    ]);
  });

  it("does not send an interval's reminder again after a run died once SNS had it", async () => {
    await start(2);
    await runMinutes(1);
    await failJustBefore(BASE + 2 * MINUTE);
    const published: BurstPage[] = [];
    // SNS takes the reminder, then the function dies before the run ends: its promise never settles.
    const dying = {
      publish: (page: BurstPage) => {
        published.push(page);
        return new Promise<void>(() => {});
      },
    };
    void closeQuietBursts(
      { tables: harness.burstTables, pager: dying, rules: harness.rules },
      BASE + 2 * MINUTE,
    );
    await expect.poll(() => published.length, { timeout: 30_000 }).toBe(1);

    const retried = await harness.recover(BASE + 2 * MINUTE + 1000);
    const later = await harness.recover(BASE + 2 * MINUTE + 45_000);

    expect([retried.reminded, later.reminded]).toEqual([0, 0]);
    expect(reminders()).toEqual([]);
    expect(published[0]?.reminder?.number).toBe(1);
  });

  it("holds a burst's resolve while a reminder of it is being sent, so no trigger follows the resolve", async () => {
    await start(2);
    await runMinutes(1);
    await failJustBefore(BASE + 2 * MINUTE);
    const published: BurstPage[] = [];
    // A reminder whose run hangs in SNS, holding its claim for two minutes.
    const hanging = {
      publish: (page: BurstPage) => {
        published.push(page);
        return new Promise<void>(() => {});
      },
    };
    const deps = {
      tables: harness.burstTables,
      pager: hanging,
      rules: harness.rules,
      claimLeaseMs: 2 * MINUTE,
    };
    void closeQuietBursts(deps, BASE + 2 * MINUTE);
    await expect.poll(() => published.length, { timeout: 30_000 }).toBe(1);

    const held = await harness.recover(BASE + 3 * MINUTE);
    const afterLease = await harness.recover(BASE + 4 * MINUTE + 1000);

    expect([held.resolved, afterLease.resolved]).toEqual([0, 1]);
    expect(harness.pager.pages.map((sent) => sent.action)).toEqual(["trigger", "resolve"]);
  });

  it("resolves a reminded burst as before, once it is quiet", async () => {
    await start(2);
    await runMinutes(3);

    const outcome = await harness.recover(BASE + 4 * MINUTE);

    expect(outcome).toMatchObject({ resolved: 1, reminded: 0 });
    expect(harness.pager.pages.map((sent) => [sent.action, sent.reminder?.number ?? 0])).toEqual([
      ["trigger", 0],
      ["trigger", 1],
      ["resolve", 0],
    ]);
  });
});
