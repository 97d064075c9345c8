import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { type BurstRule, DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import { createStormTracker } from "../../lambdas/storms/storm-tracker.js";
import { batchBody, migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const BASE = Date.parse("2026-11-20T10:00:00Z");
const STORM_ON: BurstRule = { ...DEFAULT_BURST_RULE, responseStorm: { threshold: 5, windowSeconds: 60 } };
let harness: Harness;

afterEach(() => harness.close());

async function start(migration: BurstRule) {
  harness = await createHarness({ rules: { migration } });
  harness.clock.now = BASE;
}

/** `count` migration failures with `reason`, one second apart from `fromSeconds` after BASE. */
const failures = (count: number, reason: string, fromSeconds = 0) =>
  Array.from({ length: count }, (_, index) =>
    migrationFailure({ reason, occurred_at: new Date(BASE + (fromSeconds + index) * 1000).toISOString() }),
  );

/** Sends each event as its own message, the clock at its `occurred_at`, as a hook answering badly would. */
async function deliverOneByOne(events: readonly Record<string, unknown>[]) {
  for (const event of events) {
    harness.clock.now = Date.parse(event.occurred_at as string);
    await harness.send([event]);
  }
}

const notices = () =>
  harness.pager.pages.map((page) => {
    const { document } = formatPage(page);
    return [document.kind, document.event_action, document.severity];
  });

describe("response-level storms, with the setting on", () => {
  it("sends one warning and, once quiet for its window, its resolve, under a dedup key of their own", async () => {
    await start(STORM_ON);

    await deliverOneByOne(failures(8, "missing_external_id"));
    await harness.recoverStorms(BASE + 7_000 + 59_000);
    const resolved = await harness.recoverStorms(BASE + 7_000 + 60_000);

    expect(resolved).toEqual({ open: 1, warned: 0, resolved: 1 });
    expect(notices()).toEqual([
      ["response_storm", "trigger", "warning"],
      ["response_storm", "resolve", "info"],
    ]);
    const [warning, resolve] = harness.pager.pages;
    expect(warning?.dedupKey).toBe("hookwatch:app_test:migration:response-storm:2026-11-20T10:00:00.000Z");
    expect(resolve?.dedupKey).toBe(warning?.dedupKey);
    expect(warning).toMatchObject({ responseCount: 5, countsByReason: { missing_external_id: 5 } });
    expect(resolve).toMatchObject({ responseCount: 8, lastFailureAt: "2026-11-20T10:00:07.000Z" });
  });

  it("never sends a critical page for response-level failures, and leaves burst state untouched", async () => {
    await start(STORM_ON);

    await deliverOneByOne(failures(30, "invalid_response"));

    expect(notices()).toEqual([["response_storm", "trigger", "warning"]]);
    expect(await harness.stateItems("GROUP#app_test#migration")).toEqual([]);
    expect(await harness.recover(BASE + 600_000)).toEqual({ open: 0, paged: 0, resolved: 0, reminded: 0 });
  });

  it("warns once when the same failures are redelivered and when invocations race", async () => {
    await start(STORM_ON);
    const events = failures(6, "missing_identifiers");
    harness.clock.now = BASE + 6_000;

    await Promise.all([harness.send(events), harness.send(events), harness.send(events.slice(2))]);
    await harness.send(events);

    expect(notices()).toEqual([["response_storm", "trigger", "warning"]]);
  });

  it("opens and warns a storm whose opening was refused because the group's head moved meanwhile", async () => {
    await start(STORM_ON);
    harness.clock.now = BASE + 6_000;
    // Another storm of the group opening and closing between this invocation's read and its opening.
    let moved = false;
    const send = async (command: {
      input: { TransactItems?: { Put?: { Item?: { sk?: { S?: string } } } }[] };
    }) => {
      const opens = command.input.TransactItems?.some((item) => item.Put?.Item?.sk?.S?.startsWith("STORM#"));
      if (opens && !moved) {
        moved = true;
        await harness.client.send(
          new UpdateItemCommand({
            TableName: harness.burstTables.stateTableName,
            Key: { pk: { S: "STORM#app_test#migration" }, sk: { S: "HEAD" } },
            UpdateExpression: "ADD version :two",
            ExpressionAttributeValues: { ":two": { N: "2" } },
          }),
        );
      }
      return harness.client.send(command as unknown as Parameters<DynamoDBClient["send"]>[0]);
    };
    const client = { send } as unknown as DynamoDBClient;
    const deps = harness.deps({
      storms: createStormTracker({
        tables: { ...harness.burstTables, client },
        pager: harness.pager,
        rules: harness.rules,
        now: () => harness.clock.now,
      }),
    });

    // Exactly the threshold: only the last failure crosses it, so nothing after it would open the storm.
    await processMessage(deps, harness.signedMessage(batchBody(failures(5, "missing_identifiers"))));

    expect(moved).toBe(true);
    expect(notices()).toEqual([["response_storm", "trigger", "warning"]]);
  });

  it("keeps a transport burst and a response storm of the same hook apart", async () => {
    await start(STORM_ON);

    await deliverOneByOne([...failures(5, "request_failed"), ...failures(5, "missing_external_id", 10)]);
    const bursts = await harness.recover(BASE + 4_000 + 60_000);
    const storms = await harness.recoverStorms(BASE + 4_000 + 60_000);

    expect(notices()).toEqual([
      ["burst", "trigger", "critical"],
      ["response_storm", "trigger", "warning"],
      ["burst", "resolve", "info"],
    ]);
    expect(bursts).toMatchObject({ open: 1, resolved: 1 });
    expect(storms).toEqual({ open: 1, warned: 0, resolved: 0 });
    const [page, warning] = harness.pager.pages;
    expect(page?.dedupKey).not.toBe(warning?.dedupKey);
    // The burst's page counts the response-level failures of its window, as before.
    expect(page).toMatchObject({ transportCount: 5, responseCount: 0 });
  });

  it("sends nothing below the threshold", async () => {
    await start(STORM_ON);

    await deliverOneByOne([
      ...failures(4, "missing_external_id"),
      ...failures(4, "missing_external_id", 120),
    ]);

    expect(harness.pager.pages).toEqual([]);
  });
});

describe("response-level storms, with the setting off (the default)", () => {
  it("sends nothing and writes no storm state, however many response-level failures arrive", async () => {
    await start(DEFAULT_BURST_RULE);

    await deliverOneByOne(failures(30, "missing_external_id"));
    const storms = await harness.recoverStorms(BASE + 600_000);

    expect(harness.pager.pages).toEqual([]);
    expect(storms).toEqual({ open: 0, warned: 0, resolved: 0 });
    expect(await harness.stateItems("STORM#app_test#migration")).toEqual([]);
    expect(await harness.stateItems("GROUP#app_test#migration")).toEqual([]);
  });

  it("pages a transport burst exactly as before, its response-level failures counted and not announced", async () => {
    await start(DEFAULT_BURST_RULE);

    await deliverOneByOne([...failures(5, "missing_external_id"), ...failures(5, "request_failed", 10)]);

    expect(notices()).toEqual([["burst", "trigger", "critical"]]);
    expect(harness.pager.pages[0]).toMatchObject({ transportCount: 5 });
  });
});
