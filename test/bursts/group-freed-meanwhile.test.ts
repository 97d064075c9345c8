import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBurstTracker } from "../../lambdas/bursts/burst-tracker.js";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { batchBody, migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const NOW = Date.parse("2026-11-20T10:00:00Z");
const TWO_DAYS_AGO = NOW - 2 * 86_400_000;
let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
  harness.clock.now = NOW;
});
afterEach(() => harness.close());

/** `count` migration transport failures, one second apart from `fromMs`. */
const failures = (count: number, fromMs: number) =>
  Array.from({ length: count }, (_, index) =>
    migrationFailure({ occurred_at: new Date(fromMs + index * 1000).toISOString() }),
  );
const pages = () =>
  harness.pager.pages.map((page) => `${page.action} ${page.windowStart}${page.delayed ? " delayed" : ""}`);

/**
 * The tracker's DynamoDB client, which runs `meanwhile` once, just before the tracker's first publish
 * claim reaches the table: another party acting between the tracker's read of the group and its claim.
 */
function clientActingBeforeFirstClaim(meanwhile: () => Promise<unknown>): DynamoDBClient {
  let done = false;
  const send = async (command: { input: { UpdateExpression?: string } }) => {
    if (!done && /^SET (page|resolve)_claim_until\b/.test(command.input.UpdateExpression ?? "")) {
      done = true;
      await meanwhile();
    }
    return harness.client.send(command as Parameters<DynamoDBClient["send"]>[0]);
  };
  return { send } as unknown as DynamoDBClient;
}

// The soak found this under five concurrent invocations: a message retried for a publish claim that no
// one held. The processor read the group while a delayed burst held it and set out to resolve that burst;
// meanwhile the recovery schedule resolved and closed it, so the resolve claim was refused (the burst was
// done), and the message was retried although the group was free.
describe("a delayed burst resolved by another while the processor sets out to resolve it", () => {
  it("frees the group for the new burst: the message opens and pages it instead of retrying", async () => {
    harness.pager.failNext();
    await expect(harness.send(failures(5, TWO_DAYS_AGO))).rejects.toThrow(/SNS is unavailable/);
    const client = clientActingBeforeFirstClaim(() => harness.recover(NOW));
    const deps = harness.deps({
      bursts: createBurstTracker({
        tables: { ...harness.burstTables, client },
        pager: harness.pager,
        rules: harness.rules,
        now: () => harness.clock.now,
      }),
    });

    const outcome = await processMessage(deps, harness.signedMessage(batchBody(failures(5, NOW - 4_000))));

    expect(outcome.kind).toBe("processed");
    expect(pages()).toEqual([
      "trigger 2026-11-18T10:00:00.000Z delayed",
      "resolve 2026-11-18T10:00:00.000Z delayed",
      "trigger 2026-11-20T09:59:56.000Z",
    ]);
  });
});
