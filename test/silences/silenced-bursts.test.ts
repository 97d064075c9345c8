import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readBurst } from "../../lambdas/bursts/burst-queries.js";
import { type BurstRecord, burstSk, type Group } from "../../lambdas/bursts/burst-record.js";
import { DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import type { Silence, SilenceScope } from "../../lambdas/silences/silence-record.js";
import { createSilence, endSilence } from "../../lambdas/silences/silence-store.js";
import { APP_ID, migrationFailure, stepUpFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const BASE = Date.parse("2026-11-20T10:00:00Z");
const HOUR = 3_600_000;
const OTHER_APP = "app_other";
const RUNBOOK = "https://wiki.example.com/runbooks/migration";
let harness: Harness;

beforeEach(async () => {
  harness = await createHarness({
    appIds: [APP_ID, OTHER_APP],
    rules: { migration: { ...DEFAULT_BURST_RULE, runbookUrl: RUNBOOK } },
  });
  harness.clock.now = BASE;
});
afterEach(() => harness.close());

/** `count` transport failures of a hook, one second apart from `fromMs`. */
const failures = (count: number, fromMs: number, make = migrationFailure) =>
  Array.from({ length: count }, (_, index) =>
    make({ occurred_at: new Date(fromMs + index * 1000).toISOString() }),
  );

function silence(hook: SilenceScope, fromMs: number, toMs: number, appId = APP_ID): Promise<Silence> {
  return createSilence(
    harness.burstTables,
    {
      appId,
      hook,
      startsAtMs: fromMs,
      endsAtMs: toMs,
      reason: "migrating the user database",
      createdBy: "alice",
    },
    harness.clock.now,
  );
}

const burstOf = (group: Group, startMs: number): Promise<BurstRecord | undefined> =>
  readBurst(harness.burstTables, group, burstSk(startMs));
const actions = () => harness.pager.pages.map((page) => `${page.action} ${page.appId} ${page.hook}`);

describe("a silence", () => {
  it("holds the page of a burst in its scope and stores, counts and marks the burst", async () => {
    const held = await silence("migration", BASE, BASE + 2 * HOUR);

    await harness.send(failures(6, BASE));

    expect(harness.pager.pages).toEqual([]);
    const burst = await burstOf({ appId: APP_ID, hook: "migration" }, BASE);
    expect(burst).toMatchObject({
      status: "open",
      transportCount: 6,
      silence: { id: held.id, createdBy: "alice" },
    });
    expect(burst?.pagedAt).toBeUndefined();
  });

  it("does not hold the pages of another app or another hook", async () => {
    await silence("migration", BASE, BASE + 2 * HOUR);

    await harness.send(failures(5, BASE), { appId: OTHER_APP });
    await harness.send(failures(5, BASE, stepUpFailure));
    await harness.send(failures(5, BASE));

    expect(actions()).toEqual([`trigger ${OTHER_APP} migration`, `trigger ${APP_ID} step-up`]);
  });

  it("of hook all holds both hooks of its app", async () => {
    await silence("all", BASE, BASE + HOUR);

    await harness.send(failures(5, BASE));
    await harness.send(failures(5, BASE, stepUpFailure));

    expect(harness.pager.pages).toEqual([]);
  });

  it("pages a burst still open when it ends, once, naming the silence, and resolves it later", async () => {
    const held = await silence("migration", BASE, BASE + 10 * 60_000);
    await harness.send(failures(5, BASE));
    // The hook keeps failing through the end of the silence.
    for (const minute of [4, 8, 11]) {
      harness.clock.now = BASE + minute * 60_000;
      await harness.send(failures(1, harness.clock.now));
      await harness.recover(harness.clock.now);
    }
    await harness.recover(BASE + 11 * 60_000 + 30_000);

    expect(harness.pager.pages.map((page) => page.action)).toEqual(["trigger"]);
    expect(harness.pager.pages[0]).toMatchObject({
      dedupKey: `hookwatch:${APP_ID}:migration:${new Date(BASE).toISOString()}`,
      runbookUrl: RUNBOOK,
      silence: { id: held.id, reason: "migrating the user database", createdBy: "alice" },
    });

    await harness.recover(BASE + 13 * 60_000);
    expect(harness.pager.pages.map((page) => page.action)).toEqual(["trigger", "resolve"]);
    expect(harness.pager.pages[1]).toMatchObject({ transportCount: 8, runbookUrl: RUNBOOK });
  });

  it("pages at the next recovery run when it is ended early", async () => {
    const held = await silence("migration", BASE, BASE + 2 * HOUR);
    await harness.send(failures(5, BASE));
    harness.clock.now = BASE + 30_000;
    await harness.send(failures(1, harness.clock.now));

    const ended = await endSilence(harness.burstTables, held.id, "bob", BASE + 40_000);
    const outcome = await harness.recover(BASE + 60_000);

    expect(ended.kind).toBe("ended");
    expect(outcome).toMatchObject({ paged: 1, resolved: 0 });
    expect(harness.pager.pages[0]?.silence).toMatchObject({
      id: held.id,
      endsAt: "2026-11-20T10:00:40.000Z",
    });
  });

  it("sends nothing, neither page nor resolve, for a burst that resolves while silenced", async () => {
    await silence("migration", BASE, BASE + HOUR);
    await harness.send(failures(5, BASE));

    const quiet = await harness.recover(BASE + 5 * 60_000);
    const afterEnd = await harness.recover(BASE + 2 * HOUR);

    expect(quiet).toEqual({ open: 1, paged: 0, resolved: 1, reminded: 0 });
    expect(afterEnd).toEqual({ open: 0, paged: 0, resolved: 0, reminded: 0 });
    expect(harness.pager.pages).toEqual([]);
    const burst = await burstOf({ appId: APP_ID, hook: "migration" }, BASE);
    expect(burst).toMatchObject({
      status: "closed",
      transportCount: 5,
      resolvedAt: "2026-11-20T10:05:00.000Z",
    });
    expect(burst?.pagedAt).toBeUndefined();
    expect(burst?.silence).toBeDefined();
  });

  it("sends nothing for a delayed burst found while silenced", async () => {
    await silence("migration", BASE - HOUR, BASE + HOUR);

    await harness.send(failures(5, BASE - 30 * 60_000));

    expect(harness.pager.pages).toEqual([]);
    expect((await burstOf({ appId: APP_ID, hook: "migration" }, BASE - 30 * 60_000))?.status).toBe("closed");
  });

  it("is ignored once expired, though its item is still stored", async () => {
    harness.clock.now = BASE - 2 * HOUR;
    await silence("migration", BASE - 2 * HOUR, BASE - HOUR);
    harness.clock.now = BASE;

    await harness.send(failures(5, BASE));

    expect(actions()).toEqual([`trigger ${APP_ID} migration`]);
    expect(harness.pager.pages[0]?.silence).toBeUndefined();
  });

  it("does not hold pages before its start", async () => {
    await silence("migration", BASE + HOUR, BASE + 2 * HOUR);

    await harness.send(failures(5, BASE));

    expect(actions()).toEqual([`trigger ${APP_ID} migration`]);
  });

  it("never withholds the resolve of a burst paged before it began", async () => {
    await harness.send(failures(5, BASE));
    harness.clock.now = BASE + 30_000;
    await silence("migration", BASE + 30_000, BASE + HOUR);

    await harness.recover(BASE + 5 * 60_000);

    expect(harness.pager.pages.map((page) => page.action)).toEqual(["trigger", "resolve"]);
  });
});
