import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MessageOutcome, processMessage } from "../../lambdas/processor/process-message.js";
import { closeQuietBursts } from "../../lambdas/recovery/close-quiet-bursts.js";
import { createSilenceLookup } from "../../lambdas/silences/silence-lookup.js";
import { batchBody, migrationFailuresFrom } from "../helpers/prelude-events.js";
import { createHarness, type Harness, pageLines } from "../helpers/processor-harness.js";

// Default rule: 5 failures within 60 s open a burst; it resolves after 60 s without one.
const NOW = Date.parse("2026-11-20T10:00:00Z");
/** The live burst: 09:59:50 to 09:59:54, paged at once. */
const FIRST = NOW - 10_000;
const FIRST_END = "2026-11-20T09:59:54.000Z";
/** The recovery schedule finds it quiet 76 s after its last failure. */
const RECOVERY = NOW + 70_000;
/** The hook fails again from 10:01:06, past the first burst's end plus its quiet period (10:00:54). */
const AGAIN = RECOVERY - 4_000;

let harness: Harness;
beforeEach(async () => {
  harness = await createHarness();
  harness.clock.now = NOW;
});
afterEach(() => harness.close());

const pages = () => pageLines(harness);

type Command = {
  input: {
    UpdateExpression?: string;
    TransactItems?: { Update?: { UpdateExpression?: string } }[];
  };
};
const isClose = (command: Command) =>
  command.input.TransactItems?.some((item) =>
    item.Update?.UpdateExpression?.includes("REMOVE open_burst_sk"),
  ) ?? false;
const isResolveClaim = (command: Command) =>
  command.input.UpdateExpression?.startsWith("SET resolve_claim_until") ?? false;

/** The recovery schedule at `atMs`, with `meanwhile` run once just before its first call that `matches`. */
function recoverActingBefore(
  atMs: number,
  matches: (command: Command) => boolean,
  meanwhile: () => Promise<unknown>,
) {
  let done = false;
  const send = async (command: Command) => {
    if (!done && matches(command)) {
      done = true;
      await meanwhile();
    }
    return harness.client.send(command as unknown as Parameters<DynamoDBClient["send"]>[0]);
  };
  const client = { send } as unknown as DynamoDBClient;
  const tables = { ...harness.burstTables, client };
  return closeQuietBursts(
    { tables, pager: harness.pager, rules: harness.rules, silences: createSilenceLookup(tables) },
    atMs,
  );
}

/** Sends the hook's new failures as the processor would, keeping the outcome or the error. */
async function failAgain(): Promise<MessageOutcome | Error> {
  harness.clock.now = RECOVERY + 1_000;
  return harness.send(migrationFailuresFrom(5, AGAIN)).catch((error: Error) => error);
}

// Soak run 3 (stop 18): a live burst's failures never paged. The previous burst of the group was resolved
// and its resolve reached on-call, but its close landed late (DynamoDB faults and retries); the new
// outage's failures came in between, were taken in by the still-open burst, and were lost with it.
describe("a live burst whose resolve went out but whose close has not landed yet", () => {
  beforeEach(async () => {
    await harness.send(migrationFailuresFrom(5, FIRST));
    expect(pages()).toEqual(["trigger 2026-11-20T09:59:50.000Z"]);
  });

  it("does not take in a new outage: its message waits for the close, then opens and pages a burst of its own", async () => {
    let during: MessageOutcome | Error | undefined;
    const outcome = await recoverActingBefore(RECOVERY, isClose, async () => {
      during = await failAgain();
    });

    expect(outcome.resolved).toBe(1);
    expect(during).toBeInstanceOf(Error);
    expect((during as Error).name).toBe("RetryLaterError");
    expect((during as Error).message).toMatch(
      /the burst \S+ ended at 2026-11-20T09:59:54.000Z and is being closed; the window from 2026-11-20T10:01:06.000Z opens after it/,
    );

    // Delivered again, once the close has landed.
    expect((await failAgain()) as MessageOutcome).toMatchObject({ kind: "processed" });
    expect(pages()).toEqual([
      "trigger 2026-11-20T09:59:50.000Z",
      "resolve 2026-11-20T09:59:50.000Z",
      "trigger 2026-11-20T10:01:06.000Z",
    ]);
    expect(harness.pager.pages[1]?.lastFailureAt).toBe(FIRST_END);
  });

  it("is read again for each message: an invocation that read it before the resolve claim does not take the outage in", async () => {
    // One invocation: its first message reads the group while the burst is open and no resolve is claimed.
    const invocation = harness.deps();
    harness.clock.now = NOW + 1_000;
    await processMessage(invocation, harness.signedMessage(batchBody(migrationFailuresFrom(1, NOW))));
    let during: MessageOutcome | Error | undefined;

    await recoverActingBefore(RECOVERY, isClose, async () => {
      harness.clock.now = RECOVERY + 1_000;
      const message = harness.signedMessage(batchBody(migrationFailuresFrom(5, AGAIN)));
      during = await processMessage(invocation, message).catch((error: Error) => error);
    });

    expect(during).toMatchObject({ name: "RetryLaterError" });
    expect(pages()).toEqual(["trigger 2026-11-20T09:59:50.000Z", "resolve 2026-11-20T09:59:50.000Z"]);
  });

  it("is resolved at the end its first resolve claim fixed, even after the group failed again", async () => {
    harness.pager.failNext();
    await expect(harness.recover(RECOVERY)).rejects.toThrow(/SNS is unavailable/);
    // The publish failed (or reached SNS and lost its answer): the end stays fixed, the new outage waits.
    expect(await failAgain()).toMatchObject({ name: "RetryLaterError" });

    expect(await harness.recover(RECOVERY + 2_000)).toMatchObject({ resolved: 1 });
    expect(harness.pager.pages.at(-1)).toMatchObject({
      action: "resolve",
      lastFailureAt: FIRST_END,
      transportCount: 5,
    });
    expect(await failAgain()).toMatchObject({ kind: "processed" });
    expect(pages()).toEqual([
      "trigger 2026-11-20T09:59:50.000Z",
      "resolve 2026-11-20T09:59:50.000Z",
      "trigger 2026-11-20T10:01:06.000Z",
    ]);
  });
});

describe("a live burst whose group fails again between the recovery's read and its resolve claim", () => {
  it("is not resolved: the failures it took in meanwhile keep it open, and its resolve counts them", async () => {
    await harness.send(migrationFailuresFrom(5, FIRST));
    let during: MessageOutcome | Error | undefined;

    const outcome = await recoverActingBefore(RECOVERY, isResolveClaim, async () => {
      during = await failAgain();
    });

    expect(during).toMatchObject({ kind: "processed" });
    expect(outcome.resolved).toBe(0);
    expect(pages()).toEqual(["trigger 2026-11-20T09:59:50.000Z"]);
    const [burst] = (await harness.stateItems("GROUP#app_test#migration")).filter((item) =>
      String(item.sk).startsWith("BURST#"),
    );
    expect(burst).toMatchObject({ status: "open" });
    expect(burst).not.toHaveProperty("resolve_end");
    expect(burst).not.toHaveProperty("resolve_claim_until");

    // Quiet after the new failures, it resolves with them.
    expect(await harness.recover(RECOVERY + 70_000)).toMatchObject({ resolved: 1 });
    expect(harness.pager.pages.at(-1)).toMatchObject({
      action: "resolve",
      lastFailureAt: "2026-11-20T10:01:10.000Z",
      transportCount: 10,
    });
  });
});
