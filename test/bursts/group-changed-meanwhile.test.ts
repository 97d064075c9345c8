import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBurstTracker } from "../../lambdas/bursts/burst-tracker.js";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { batchBody, migrationFailuresFrom } from "../helpers/prelude-events.js";
import { createHarness, type Harness, pageLines } from "../helpers/processor-harness.js";

const NOW = Date.parse("2026-11-20T10:00:00Z");
const TWO_DAYS_AGO = NOW - 2 * 86_400_000;
let harness: Harness;
/** The old delayed burst paged and resolved by the other party, then the new burst's page. */
const OLD_BURST_THEN_NEW_PAGE = [
  "trigger 2026-11-18T10:00:00.000Z delayed",
  "resolve 2026-11-18T10:00:00.000Z delayed",
  "trigger 2026-11-20T09:59:56.000Z",
];

beforeEach(async () => {
  harness = await createHarness();
  harness.clock.now = NOW;
});
afterEach(() => harness.close());

const failures = migrationFailuresFrom;
const pages = () => pageLines(harness);

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
    expect(pages()).toEqual(OLD_BURST_THEN_NEW_PAGE);
  });
});

type Command = { input: { TransactItems?: { Put?: { Item?: { sk?: { S?: string } } } }[] } };

/**
 * The tracker's DynamoDB client, which runs `meanwhile` just before each of the tracker's first `times`
 * burst openings reaches the table: another invocation changing the group between the tracker's read of
 * its head and the opening transaction that names the head's version.
 */
function clientActingBeforeOpening(meanwhile: () => Promise<unknown>, times = 1): DynamoDBClient {
  let left = times;
  const send = async (command: Command) => {
    const opens = command.input.TransactItems?.some((item) => item.Put?.Item?.sk?.S?.startsWith("BURST#"));
    if (opens && left > 0) {
      left -= 1;
      await meanwhile();
    }
    return harness.client.send(command as unknown as Parameters<DynamoDBClient["send"]>[0]);
  };
  return { send } as unknown as DynamoDBClient;
}

function trackerWith(client: DynamoDBClient) {
  return harness.deps({
    bursts: createBurstTracker({
      tables: { ...harness.burstTables, client },
      pager: harness.pager,
      rules: harness.rules,
      now: () => harness.clock.now,
    }),
  });
}

// The soak found this under five concurrent invocations: a backlog burst never paged. Its window crossed
// the threshold in one invocation while another opened and resolved a delayed burst of the same app and
// hook; the opening transaction, which names the head's version, was refused, no burst covered the failure,
// and the window was dropped with the message counted as processed.
describe("a burst opening refused because another burst of the group opened and closed meanwhile", () => {
  it("reads the group again and opens it: the window is paged, not dropped", async () => {
    const another = () => harness.send(failures(5, TWO_DAYS_AGO));
    const deps = trackerWith(clientActingBeforeOpening(another));

    const outcome = await processMessage(deps, harness.signedMessage(batchBody(failures(5, NOW - 4_000))));

    expect(outcome.kind).toBe("processed");
    expect(pages()).toEqual(OLD_BURST_THEN_NEW_PAGE);
  });

  it("asks for the message again, rather than dropping the window, when the group keeps changing under it", async () => {
    let day = 0;
    const another = () => harness.send(failures(5, TWO_DAYS_AGO - ++day * 86_400_000));
    const deps = trackerWith(clientActingBeforeOpening(another, 100));
    const message = harness.signedMessage(batchBody(failures(5, NOW - 4_000)));
    const live = () => pages().filter((page) => page.startsWith("trigger 2026-11-20"));

    await expect(processMessage(deps, message)).rejects.toThrow(
      /changed 3 times while the window from 2026-11-20T09:59:56.000Z was opening/,
    );
    expect(live()).toEqual([]);

    // Delivered again once the group is quiet, the message opens and pages the burst.
    await processMessage(harness.deps(), message);
    expect(live()).toEqual(["trigger 2026-11-20T09:59:56.000Z"]);
  });
});
