import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBurstTracker } from "../../lambdas/bursts/burst-tracker.js";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { APP_ID, batchBody, migrationFailure, stepUpFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const BASE = Date.parse("2026-11-20T10:00:00Z");
let harness: Harness;

beforeEach(async () => {
  harness = await createHarness({ appIds: [APP_ID] });
  harness.clock.now = BASE;
});
afterEach(() => harness.close());

/** `count` failures of one hook, `everySeconds` apart from `fromSeconds` after BASE. */
function failures(
  count: number,
  options: {
    fromSeconds?: number;
    everySeconds?: number;
    hook?: "migration" | "step-up";
    reason?: string;
  } = {},
) {
  const { fromSeconds = 0, everySeconds = 1, hook = "migration", reason = "request_failed" } = options;
  return Array.from({ length: count }, (_, index) => {
    const occurred_at = new Date(BASE + (fromSeconds + index * everySeconds) * 1000).toISOString();
    return hook === "migration"
      ? migrationFailure({ reason, occurred_at })
      : stepUpFailure({ reason, occurred_at });
  });
}

/** Sends events one batch per `perBatch`, with the clock at each batch's newest `occurred_at`. */
async function deliver(events: readonly Record<string, unknown>[], perBatch = 3, appId = APP_ID) {
  for (let start = 0; start < events.length; start += perBatch) {
    const batch = events.slice(start, start + perBatch);
    harness.clock.now = Math.max(
      harness.clock.now,
      ...batch.map((event) => Date.parse(event.occurred_at as string)),
    );
    await harness.send(batch, { appId });
  }
}

const recover = (atMs: number) => harness.recover(atMs);
const actions = () => harness.pager.pages.map((page) => `${page.action}:${page.appId}:${page.hook}`);

describe("burst paging", () => {
  it("pages once for a sustained outage and resolves once after the quiet period", async () => {
    await deliver(failures(30, { everySeconds: 4 }));
    await recover(BASE + 120_000 + 30_000);
    expect(actions()).toEqual(["trigger:app_test:migration"]);

    const outcome = await recover(BASE + 116_000 + 60_000);

    expect(outcome).toEqual({ open: 1, paged: 0, resolved: 1, reminded: 0 });
    expect(actions()).toEqual(["trigger:app_test:migration", "resolve:app_test:migration"]);
    const [trigger, resolve] = harness.pager.pages;
    // The second batch (12 s, 16 s, 20 s) crosses the threshold at 16 s and also carries the sixth failure.
    expect(trigger).toMatchObject({
      transportCount: 6,
      delayed: false,
      countsByReason: { request_failed: 6 },
    });
    expect(resolve).toMatchObject({
      dedupKey: trigger?.dedupKey,
      transportCount: 30,
      windowStart: "2026-11-20T10:00:00.000Z",
      lastFailureAt: "2026-11-20T10:01:56.000Z",
    });
  });

  it("counts every failure of the crossing message in the page, not only those up to the threshold", async () => {
    await harness.send(failures(8));

    expect(harness.pager.pages).toHaveLength(1);
    expect(harness.pager.pages[0]).toMatchObject({
      transportCount: 8,
      countsByReason: { request_failed: 8 },
    });
  });

  it("pages in the invocation that crosses the threshold, not later", async () => {
    await deliver(failures(4));
    expect(harness.pager.pages).toHaveLength(0);

    await deliver(failures(1, { fromSeconds: 10 }));

    expect(actions()).toEqual(["trigger:app_test:migration"]);
  });

  it("pages and resolves twice for two bursts separated by a quiet period", async () => {
    await deliver(failures(6));
    await recover(BASE + 5_000 + 60_000);
    await deliver(failures(6, { fromSeconds: 600 }));
    await recover(BASE + 605_000 + 60_000);

    expect(harness.pager.pages.map((page) => page.action)).toEqual([
      "trigger",
      "resolve",
      "trigger",
      "resolve",
    ]);
    expect(new Set(harness.pager.pages.map((page) => page.dedupKey)).size).toBe(2);
  });

  it("pages no one for a trickle below the threshold", async () => {
    await deliver(failures(20, { everySeconds: 16 }));
    await recover(BASE + 400_000);

    expect(harness.pager.pages).toEqual([]);
  });

  it("pages no one for a storm of response-level failures, and a later page counts them", async () => {
    await deliver(failures(40, { reason: "invalid_response" }), 10);
    expect(harness.pager.pages).toEqual([]);

    await deliver(failures(5));

    expect(harness.pager.pages[0]).toMatchObject({
      responseCount: 40,
      countsByReason: { request_failed: 5, invalid_response: 40 },
    });
  });

  it("counts events delivered ten times as if once", async () => {
    const events = failures(4);
    for (let round = 0; round < 10; round++) await deliver(events, 4);
    expect(harness.pager.pages).toEqual([]);

    for (let round = 0; round < 10; round++)
      await deliver(failures(1, { fromSeconds: 2 }).map(() => events[0] as Record<string, unknown>));
    await deliver(failures(1, { fromSeconds: 3 }));

    expect(harness.pager.pages).toHaveLength(1);
    expect(harness.pager.pages[0]?.transportCount).toBe(5);
  });

  it("pages a backlog from two hours ago once, marked delayed, with its real window, and resolves it at once", async () => {
    const twoHoursAgo = -7_200;
    harness.clock.now = BASE;
    const backlog = failures(12, { fromSeconds: twoHoursAgo, everySeconds: 5 });

    for (let start = 0; start < backlog.length; start += 4)
      await harness.send(backlog.slice(start, start + 4));

    expect(harness.pager.pages.map((page) => [page.action, page.delayed])).toEqual([
      ["trigger", true],
      ["resolve", true],
    ]);
    expect(harness.pager.pages[0]?.windowStart).toBe("2026-11-20T08:00:00.000Z");
    // The threshold is crossed in the second batch, which is stored by then: the run ends at its last failure.
    expect(harness.pager.pages[1]?.lastFailureAt).toBe("2026-11-20T08:00:35.000Z");
  });

  it("pages each hook separately when both fail together", async () => {
    const both = failures(6).flatMap((event, index) => [
      event,
      failures(1, { hook: "step-up", fromSeconds: index })[0],
    ]);
    await deliver(both as Record<string, unknown>[], 4);

    expect(actions().sort()).toEqual(["trigger:app_test:migration", "trigger:app_test:step-up"]);
  });

  it("pages each app separately", async () => {
    harness = await createHarness({ appIds: [APP_ID, "app_second"] });
    harness.clock.now = BASE;
    const send = (appId: string) =>
      processMessage(harness.deps({ verifier: undefined, appIds: [APP_ID, "app_second"] }), {
        body: batchBody(failures(5), appId),
        requestId: `req-${appId}`,
        receivedAt: BASE,
      });

    await send(APP_ID);
    await send("app_second");

    expect(actions().sort()).toEqual(["trigger:app_second:migration", "trigger:app_test:migration"]);
  });

  it("still pages exactly once when SNS fails the first publish", async () => {
    const events = failures(5);
    const message = harness.signedMessage(batchBody(events));
    harness.pager.failNext();

    await expect(processMessage(harness.deps(), message)).rejects.toThrow(/SNS is unavailable/);
    expect(harness.pager.pages).toHaveLength(0);
    await processMessage(harness.deps(), message);

    expect(actions()).toEqual(["trigger:app_test:migration"]);
  });

  it("publishes a page left unsent by a crash from the recovery schedule", async () => {
    harness.pager.failNext();
    await expect(harness.send(failures(5))).rejects.toThrow(/SNS is unavailable/);

    await recover(BASE + 10_000);

    expect(actions()).toEqual(["trigger:app_test:migration"]);
  });

  it("publishes one page when ten invocations cross the threshold together", async () => {
    await deliver(failures(3));
    const crossing = Array.from({ length: 10 }, (_, index) => failures(1, { fromSeconds: 5 + index }));

    await Promise.all(
      crossing.map((events) => processMessage(harness.deps(), harness.signedMessage(batchBody(events)))),
    );

    expect(actions()).toEqual(["trigger:app_test:migration"]);
  });

  it("starts a new burst and a new page for a failure after a burst has closed", async () => {
    await deliver(failures(5));
    await recover(BASE + 4_000 + 60_000);

    await deliver(failures(5, { fromSeconds: 200 }));

    expect(harness.pager.pages.map((page) => page.action)).toEqual(["trigger", "resolve", "trigger"]);
  });

  it("tells about a late window that cannot open while another burst of its group is open", async () => {
    await deliver(failures(5, { fromSeconds: 600 }));
    const unpaged: string[] = [];
    const deps = harness.deps({
      bursts: createBurstTracker({
        tables: harness.burstTables,
        pager: harness.pager,
        rules: harness.rules,
        now: () => harness.clock.now,
        onUnpagedWindow: (group, window) =>
          unpaged.push(`${group.hook}@${new Date(window.startMs).toISOString()}`),
      }),
    });

    await processMessage(deps, harness.signedMessage(batchBody(failures(5))));

    expect(unpaged).toEqual(["migration@2026-11-20T10:00:00.000Z"]);
    expect(harness.pager.pages).toHaveLength(1);
  });
});
