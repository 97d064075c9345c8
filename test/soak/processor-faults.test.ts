import { randomUUID } from "node:crypto";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { dynamodb } from "../../lambdas/runtime/aws-clients.js";
import { RetryLaterError } from "../../lambdas/runtime/retry-later-error.js";
import { FAULT_MARKER } from "../../soak/fault-proxy.js";
import {
  type ClaimOnTable,
  type ClientAttempt,
  claimWrites,
  createProcessorFaults,
  ProcessorCrashError,
  ProcessorTimeoutError,
  WORKING_UNTIL_MS,
} from "../../soak/processor-faults.js";
import { createSeededRandom } from "../../soak/seeded-random.js";
import { sqsRecord, webhookMessage } from "../helpers/prelude-events.js";
import { createTestTables, localDynamoDb } from "../helpers/test-tables.js";

let eventsTable: string;
let stateTable: string;

beforeAll(async () => {
  ({ events: eventsTable, state: stateTable } = await createTestTables());
});

const context = {} as Context;
const eventOf = (...bodies: string[]): SQSEvent => ({
  Records: bodies.map((body) => sqsRecord(webhookMessage(body))),
});

/** A handler that writes ten items one after another through the handlers' own DynamoDB client. */
function writingTen(prefix: string) {
  return async () => {
    for (let index = 0; index < 10; index++) {
      await dynamodb.send(
        new PutItemCommand({ TableName: eventsTable, Item: { dispatch_id: { S: `${prefix}-${index}` } } }),
      );
    }
    return { batchItemFailures: [] };
  };
}

async function written(prefix: string): Promise<boolean[]> {
  const found: boolean[] = [];
  for (let index = 0; index < 10; index++) {
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: eventsTable,
        Key: { dispatch_id: { S: `${prefix}-${index}` } },
        ConsistentRead: true,
      }),
    );
    found.push(Item !== undefined);
  }
  return found;
}

describe("processor crashes", () => {
  it("keep what the invocation wrote before the crash point, write nothing after, and throw so the batch comes back", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("crash-test"), crashRate: 1 });
    const prefix = randomUUID();

    await expect(faults.wrap(writingTen(prefix))(eventOf("{}"), context)).rejects.toThrow(
      ProcessorCrashError,
    );

    const items = await written(prefix);
    const kept = items.indexOf(false);
    expect(kept).toBeGreaterThan(0);
    expect(items.slice(0, kept).every(Boolean)).toBe(true);
    expect(items.slice(kept).some(Boolean)).toBe(false);
    expect(faults.attempts().map((attempt) => [attempt.outcome, attempt.explanation])).toEqual([
      ["crashed", "crash injected"],
    ]);
    expect(faults.stats().crashes).toBe(1);
  });

  it("leave an invocation alone at a crash rate of 0: every write happens and the attempt is ok", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("no-crash"), crashRate: 0 });
    const prefix = randomUUID();

    await faults.wrap(writingTen(prefix))(eventOf("{}"), context);

    expect((await written(prefix)).every(Boolean)).toBe(true);
    expect(faults.attempts().map((attempt) => attempt.outcome)).toEqual(["ok"]);
    expect(faults.stats().processor.calls).toBeGreaterThanOrEqual(10);
  });

  it("kill every delivery of a batch holding a poison message before its first call, until switched off", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("poison"), crashRate: 0 });
    faults.addPoison(['{"poison":true}']);
    const prefix = randomUUID();
    const batch = eventOf("{}", '{"poison":true}');

    await expect(faults.wrap(writingTen(prefix))(batch, context)).rejects.toThrow(/poison/);
    await expect(faults.wrap(writingTen(prefix))(batch, context)).rejects.toThrow(/poison/);
    expect((await written(prefix)).some(Boolean)).toBe(false);
    faults.setEnabled(false);
    await faults.wrap(writingTen(prefix))(batch, context);

    expect((await written(prefix)).every(Boolean)).toBe(true);
    expect(faults.stats().poisonCrashes).toBe(2);
    expect(faults.attempts().map((attempt) => attempt.outcome)).toEqual([
      "crashed",
      "crashed",
      "crashed",
      "crashed",
      "ok",
      "ok",
    ]);
  });
});

describe("processor timeouts", () => {
  /** A context whose deadline is `ms` away, as the poller gives each invocation. */
  const withDeadline = (ms: number) => {
    const deadline = Date.now() + ms;
    return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
  };

  /** A handler that writes items one after another, `pauseMs` apart, until told to stop. */
  function writingUntilStopped(prefix: string, pauseMs: number) {
    let stopped = false;
    let count = 0;
    const done = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (!stopped) {
        await dynamodb.send(
          new PutItemCommand({ TableName: eventsTable, Item: { dispatch_id: { S: `${prefix}-${count}` } } }),
        );
        count += 1;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })();
    return { done, stop: () => (stopped = true), written: () => count };
  }

  it("stop the invocation at its deadline as Lambda does: nothing is written after it, and a working one is explained", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("timeout"), crashRate: 0 });
    const prefix = randomUUID();
    let writer: ReturnType<typeof writingUntilStopped> | undefined;
    const handler = async () => {
      writer = writingUntilStopped(prefix, 20);
      await writer.done;
      return { batchItemFailures: [] };
    };

    await expect(faults.wrap(handler)(eventOf("{}"), withDeadline(1_500))).rejects.toThrow(
      ProcessorTimeoutError,
    );
    const atDeadline = writer?.written() ?? 0;
    // The handler's next write is refused, as a process Lambda stopped sends nothing more.
    await expect(writer?.done).rejects.toThrow(ProcessorTimeoutError);
    writer?.stop();

    expect(atDeadline).toBeGreaterThan(0);
    const { Item: beyond } = await dynamodb.send(
      new GetItemCommand({
        TableName: eventsTable,
        Key: { dispatch_id: { S: `${prefix}-${atDeadline + 1}` } },
        ConsistentRead: true,
      }),
    );
    expect(beyond).toBeUndefined();
    const [attempt] = faults.attempts();
    expect(attempt?.outcome).toBe("timed out");
    expect(attempt?.explanation).toMatch(/^timed out while working: 1 message\(s\), \d+ SDK calls/);
    expect(faults.stats().timeouts).toBe(1);
    expect(faults.stats().crashes).toBe(0);
  });

  it("leave an invocation that stopped getting answers long before its deadline unexplained: stuck is hookwatch's", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("stuck"), crashRate: 0 });
    const never = new Promise<never>(() => {});
    const handler = async () => {
      await dynamodb.send(
        new PutItemCommand({ TableName: eventsTable, Item: { dispatch_id: { S: randomUUID() } } }),
      );
      return never;
    };

    await expect(faults.wrap(handler)(eventOf("{}"), withDeadline(WORKING_UNTIL_MS + 2_000))).rejects.toThrow(
      ProcessorTimeoutError,
    );

    const [attempt] = faults.attempts();
    expect(attempt?.outcome).toBe("timed out");
    expect(attempt?.explanation).toBeUndefined();
    expect(attempt?.unexplained).toMatch(/^timed out stuck: no SDK call answered in its last \d+ ms/);
  });
});

describe("failed deliveries", () => {
  it("are explained by the injected fault a record ended with, and left unexplained otherwise", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("failures"), crashRate: 0 });
    const batch = new BatchProcessor(EventType.SQS);
    // As the processor handler does: one record at a time, failures reported in batchItemFailures.
    const handler = (event: SQSEvent) =>
      processPartialResponse(
        event,
        async (record: SQSRecord) => {
          if (record.body === "throttled") throw new Error(`${FAULT_MARKER} Rate exceeded`);
          if (record.body === "broken") throw new TypeError("cannot read properties of undefined");
        },
        batch,
      );

    await faults.wrap(handler)(eventOf("throttled", "broken", "fine"), context);

    const [throttled, broken, fine] = faults.attempts();
    expect(throttled?.explanation).toMatch(/injected fault reached the handler/);
    expect(broken?.explanation).toBeUndefined();
    expect(broken?.unexplained).toContain("TypeError: cannot read properties of undefined");
    expect(fine?.outcome).toBe("ok");
  });
});

describe("an SDK attempt that failed", () => {
  it("reaches the explanation with its own timing and the attempts in flight when it started", async () => {
    const seen: (ClientAttempt | undefined)[] = [];
    const faults = createProcessorFaults({
      random: createSeededRandom("attempt-timing"),
      crashRate: 0,
      explainError: (_error, during) => {
        seen.push(during.attempt);
        return undefined;
      },
    });
    const key = randomUUID();
    await dynamodb.send(new PutItemCommand({ TableName: eventsTable, Item: { dispatch_id: { S: key } } }));
    const batch = new BatchProcessor(EventType.SQS);
    const handler = (event: SQSEvent) =>
      processPartialResponse(
        event,
        async (record: SQSRecord) => {
          if (record.body === "fine") return;
          await dynamodb.send(
            new PutItemCommand({
              TableName: eventsTable,
              Item: { dispatch_id: { S: key } },
              ConditionExpression: "attribute_not_exists(dispatch_id)",
            }),
          );
        },
        batch,
      );
    const before = Date.now();

    await faults.wrap(handler)(eventOf("{}", "fine"), context);

    expect(seen).toEqual([
      {
        client: "dynamodb",
        key: expect.stringMatching(/^[0-9a-f-]{36} 1$/),
        startedAt: expect.any(Number),
        endedAt: expect.any(Number),
        clientInFlight: expect.any(Number),
        ownInFlight: 1,
      },
    ]);
    expect(seen[0]?.startedAt).toBeGreaterThanOrEqual(before);
    expect(seen[0]?.endedAt).toBeGreaterThanOrEqual(seen[0]?.startedAt ?? Number.POSITIVE_INFINITY);
    expect(seen[0]?.clientInFlight).toBeGreaterThanOrEqual(1);
    expect(faults.stats().dynamodbInFlight.perInvocation).toBe(1);
  });
});

describe("a burst opening refused while the group's head moved", () => {
  const group = () => `GROUP#app_${randomUUID().slice(0, 8)}#migration`;
  const moveHead = (pk: string) =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: stateTable,
        Key: { pk: { S: pk }, sk: { S: "HEAD" } },
        UpdateExpression: "ADD version :one",
        ExpressionAttributeValues: { ":one": { N: "1" } },
      }),
    );
  /** A processor that, once `ready` settles, gives up on a window as the burst tracker does. */
  const givingUp = (pk: string, ready: Promise<unknown>) => (event: SQSEvent) =>
    processPartialResponse(
      event,
      async () => {
        await ready;
        const [, app, hook] = pk.split("#");
        throw new RetryLaterError(
          `the ${hook} bursts of app ${app} changed 3 times while the window from 2026-11-20T09:59:56.000Z was opening; it opens when the message comes back`,
        );
      },
      new BatchProcessor(EventType.SQS),
      { throwOnFullBatchFailure: false },
    );

  it("is explained when another invocation wrote that group's head meanwhile", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("moved"), crashRate: 0 });
    const pk = group();
    let moved: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      moved = resolve;
    });

    const refused = faults.wrap(givingUp(pk, ready))(eventOf("refused"), context);
    await faults.wrap(async () => {
      await moveHead(pk);
      return { batchItemFailures: [] };
    })(eventOf("mover"), context);
    moved();
    await refused;

    const attempt = faults.attempts().find((candidate) => candidate.outcome === "failed");
    expect(attempt?.explanation).toMatch(
      /^a burst's opening was refused while invocation \d+ moved its group's head$/,
    );
  });

  it("is left unexplained when no one else wrote that group's head", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("unmoved"), crashRate: 0 });
    const pk = group();
    // Another group's head moving explains nothing.
    await faults.wrap(async () => {
      await moveHead(group());
      return { batchItemFailures: [] };
    })(eventOf("elsewhere"), context);

    await faults.wrap(givingUp(pk, Promise.resolve()))(eventOf("refused"), context);

    const attempt = faults.attempts().find((candidate) => candidate.outcome === "failed");
    expect(attempt?.explanation).toBeUndefined();
    expect(attempt?.unexplained).toContain("RetryLaterError: the migration bursts of app");
  });
});

describe("a window retried while the burst before it is being closed", () => {
  const burstKey = () => ({
    pk: { S: `GROUP#app_${randomUUID().slice(0, 8)}#migration` },
    sk: { S: "BURST#2026-11-20T10:00:00.000Z" },
  });
  const resolveClaim = (Key: ReturnType<typeof burstKey>) =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: stateTable,
        Key,
        UpdateExpression: "SET resolve_claim_until = :until, resolve_end = if_not_exists(resolve_end, :end)",
        ExpressionAttributeValues: {
          ":until": { N: String(Date.now() + 30_000) },
          ":end": { S: "2026-11-20T10:00:04.000Z" },
        },
      }),
    );
  const close = (Key: ReturnType<typeof burstKey>) =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: stateTable,
        Key,
        UpdateExpression: "SET resolved_at = :at REMOVE open_flag",
        ExpressionAttributeValues: { ":at": { S: new Date().toISOString() } },
      }),
    );
  /** A processor that retries a window as the burst tracker does while the burst before it is being closed. */
  const waiting = (Key: ReturnType<typeof burstKey>) => (event: SQSEvent) =>
    processPartialResponse(
      event,
      async () => {
        const [, app, hook] = (Key.pk.S ?? "").split("#");
        throw new RetryLaterError(
          `the burst hookwatch:${app}:${hook}:2026-11-20T10:00:00.000Z ended at 2026-11-20T10:00:04.000Z and is being closed; the window from 2026-11-20T10:02:00.000Z opens after it`,
        );
      },
      new BatchProcessor(EventType.SQS),
      { throwOnFullBatchFailure: false },
    );
  const attemptOf = (faults: ReturnType<typeof createProcessorFaults>) =>
    faults.attempts().find((candidate) => candidate.outcome === "failed");

  it("is explained while a resolve claim of that burst was taken and its close had not landed", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("closing"), crashRate: 0 });
    const Key = burstKey();
    await faults.wrap(async () => {
      await resolveClaim(Key);
      return { batchItemFailures: [] };
    })(eventOf("resolver"), context);

    await faults.wrap(waiting(Key))(eventOf("waiting"), context);

    expect(attemptOf(faults)?.explanation).toMatch(
      /^a window waited for the close of the burst before it, whose resolve invocation \d+ claimed \(not closed yet\)$/,
    );
  });

  it("is left unexplained when no one claimed that burst's resolve, or its close landed before the invocation began", async () => {
    const unclaimed = createProcessorFaults({ random: createSeededRandom("unclaimed"), crashRate: 0 });
    await unclaimed.wrap(waiting(burstKey()))(eventOf("waiting"), context);
    expect(attemptOf(unclaimed)?.unexplained).toContain("is being closed");

    const closed = createProcessorFaults({ random: createSeededRandom("closed"), crashRate: 0 });
    const Key = burstKey();
    await closed.wrap(async () => {
      await resolveClaim(Key);
      await close(Key);
      return { batchItemFailures: [] };
    })(eventOf("resolver"), context);
    await closed.wrap(waiting(Key))(eventOf("waiting"), context);
    expect(attemptOf(closed)?.explanation).toBeUndefined();
    expect(attemptOf(closed)?.unexplained).toContain("is being closed");
  });
});

describe("publish claims as the SDK calls name them", () => {
  const key = { pk: { S: "GROUP#app#migration" }, sk: { S: "BURST#2026-11-20T10:00:00.000Z" } };
  const burst = "GROUP#app#migration BURST#2026-11-20T10:00:00.000Z";

  it("sees a claim taken, given back and made moot by the page or the resolve", () => {
    expect(
      claimWrites({
        Key: key,
        UpdateExpression: "SET resolve_claim_until = :until",
        ExpressionAttributeValues: { ":until": { N: "1764000030000" } },
      }),
    ).toEqual([{ key: `${burst} resolve`, action: "take", until: "1764000030000" }]);
    expect(claimWrites({ Key: key, UpdateExpression: "REMOVE page_claim_until" })).toEqual([
      { key: `${burst} page`, action: "release" },
    ]);
    expect(claimWrites({ Key: key, UpdateExpression: "SET paged_at = :at" })).toEqual([
      { key: `${burst} page`, action: "complete" },
    ]);
    expect(
      claimWrites({
        TransactItems: [
          {
            Update: {
              Key: key,
              UpdateExpression: "SET #status = :closed, resolved_at = :at REMOVE open_flag",
            },
          },
        ],
      }),
    ).toEqual([{ key: `${burst} resolve`, action: "complete" }]);
  });

  it("sees no claim in other writes", () => {
    expect(
      claimWrites({ Key: key, UpdateExpression: "ADD entries :entry SET expires_at = :expires" }),
    ).toEqual([]);
    expect(claimWrites({ TableName: "events", Item: {} })).toEqual([]);
  });
});

describe("publish claims refused to a delivery", () => {
  /** A burst item of the state table, and the claim and completion writes the burst code makes on it. */
  async function burstItem() {
    const Key = { pk: { S: `GROUP#app#${randomUUID()}` }, sk: { S: "BURST#2026-11-20T10:00:00.000Z" } };
    await dynamodb.send(new PutItemCommand({ TableName: stateTable, Item: Key }));
    const claim = () =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: stateTable,
          Key,
          UpdateExpression: "SET page_claim_until = :until",
          ConditionExpression: "attribute_not_exists(paged_at) AND attribute_not_exists(page_claim_until)",
          ExpressionAttributeValues: { ":until": { N: String(Date.now() + 30_000) } },
        }),
      );
    const complete = () =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: stateTable,
          Key,
          UpdateExpression: "SET paged_at = :at REMOVE page_claim_until",
          ExpressionAttributeValues: { ":at": { S: new Date().toISOString() } },
        }),
      );
    const giveBack = () =>
      dynamodb.send(
        new UpdateItemCommand({ TableName: stateTable, Key, UpdateExpression: "REMOVE page_claim_until" }),
      );
    return { Key, claim, complete, giveBack };
  }

  /** A processor that claims and, refused, asks for a retry as the burst code does. */
  const claiming = (claim: () => Promise<unknown>, then?: () => Promise<unknown>) => (event: SQSEvent) =>
    processPartialResponse(
      event,
      async () => {
        try {
          await claim();
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) throw new RetryLaterError("claim held");
          throw error;
        }
        await then?.();
      },
      new BatchProcessor(EventType.SQS),
      // One record alone: its failure is reported, not thrown.
      { throwOnFullBatchFailure: false },
    );

  /**
   * Runs `then` once, after DynamoDB answered the first call of the handlers' client whose update expression
   * `matches` and before its caller sees the answer: `then` may hold the answer back, or throw as if it were
   * lost. Returns how to take it off the client.
   */
  function afterFirstAnswer(matches: (expression: string) => boolean, then: () => unknown): () => void {
    const name = `testAfterFirstAnswer-${randomUUID()}`;
    let done = false;
    dynamodb.middlewareStack.add(
      (next) => async (args) => {
        const output = await next(args);
        const expression = (args as { input?: { UpdateExpression?: string } }).input?.UpdateExpression ?? "";
        if (!done && matches(expression)) {
          done = true;
          await then();
        }
        return output;
      },
      { step: "deserialize", name },
    );
    return () => dynamodb.middlewareStack.remove(name);
  }
  const isClaim = (expression: string) => expression.startsWith("SET page_claim_until");

  it("explain a refusal by another invocation whose take the table holds but whose answer is still on its way", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("in-flight"), crashRate: 0 });
    const { claim } = await burstItem();
    // The first claim's answer is held back after DynamoDB wrote it, until the second claim was refused.
    let written: () => void = () => {};
    const isWritten = new Promise<void>((resolve) => {
      written = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const remove = afterFirstAnswer(isClaim, () => {
      written();
      return released;
    });
    try {
      const first = faults.wrap(claiming(claim))(eventOf("first"), context);
      await isWritten;
      await faults.wrap(claiming(claim))(eventOf("second"), context);
      release();
      await first;
    } finally {
      remove();
    }

    const [refused] = faults.attempts();
    expect(refused?.outcome).toBe("failed");
    expect(refused?.explanation).toMatch(/held by invocation \d+, whose take was still unanswered/);
  });

  it("explain a refusal while the claim is held by another's take whose answer was lost and whose own SDK retry was refused", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("lost-answer"), crashRate: 0 });
    const { claim } = await burstItem();
    // The first claim reaches the table, then its connection is reset: the SDK retries, and is refused.
    let dropped = false;
    const remove = afterFirstAnswer(isClaim, () => {
      dropped = true;
      throw Object.assign(new Error("socket hang up (test)"), { code: "ECONNRESET", $metadata: {} });
    });
    try {
      await faults.wrap(claiming(claim))(eventOf("first"), context);
      await faults.wrap(claiming(claim))(eventOf("second"), context);
    } finally {
      remove();
    }

    const [first, second] = faults.attempts();
    expect(dropped).toBe(true);
    expect(first?.explanation).toMatch(
      /held by itself, taken by a try whose answer an injected fault dropped/,
    );
    expect(second?.outcome).toBe("failed");
    expect(second?.explanation).toMatch(
      /held by invocation \d+, whose answer an injected fault dropped \(its own retry was refused\)/,
    );
  });

  it("keep a claim taken after another's give-back whose answer came back later", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("reordered"), crashRate: 0 });
    const { claim, giveBack } = await burstItem();
    // The give-back reaches the table, then its answer is held until another invocation took the claim.
    let reachedTable: () => void = () => {};
    const atTable = new Promise<void>((resolve) => {
      reachedTable = resolve;
    });
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const remove = afterFirstAnswer(
      (expression) => expression === "REMOVE page_claim_until",
      () => {
        reachedTable();
        return answered;
      },
    );
    try {
      const first = faults.wrap(claiming(claim, giveBack))(eventOf("takes and gives back"), context);
      await atTable;
      await faults.wrap(claiming(claim))(eventOf("takes after the give-back"), context);
      answer();
      await first;
      await faults.wrap(claiming(claim))(eventOf("refused"), context);
    } finally {
      remove();
    }

    const refused = faults.attempts().filter((attempt) => attempt.outcome === "failed");
    expect(refused).toHaveLength(1);
    expect(refused[0]?.explanation).toBe("waited for a publish claim held by invocation 2");
  });

  /** The claim as the table holds it, read past the handlers' client, as the soak reads it. */
  const direct = localDynamoDb();
  const readClaim = async (key: string): Promise<ClaimOnTable> => {
    const [pk = "", sk = ""] = key.split(" ");
    const { Item } = await direct.send(
      new GetItemCommand({
        TableName: stateTable,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ConsistentRead: true,
      }),
    );
    const until = Item?.page_claim_until?.N;
    return { ...(until === undefined ? {} : { until }), done: Item?.paged_at !== undefined };
  };

  it("name the holder its own bookkeeping lost by reading the claim back: the take that wrote it", async () => {
    const faults = createProcessorFaults({
      random: createSeededRandom("read-back"),
      crashRate: 0,
      readClaim,
    });
    const { claim } = await burstItem();
    // The first claim reaches the table, then its call fails with an error no injected fault explains: the
    // soak cannot know that the claim is taken.
    let lost = false;
    const remove = afterFirstAnswer(isClaim, () => {
      lost = true;
      throw new Error("the answer went astray (test)");
    });
    try {
      await faults.wrap(claiming(claim))(eventOf("first"), context);
      await faults.wrap(claiming(claim))(eventOf("second"), context);
    } finally {
      remove();
    }

    const [, second] = faults.attempts();
    expect(lost).toBe(true);
    expect(second?.outcome).toBe("failed");
    expect(second?.explanation).toMatch(/held by invocation \d+, whose claim the table holds \(read back\)$/);
  });

  it("leave a refusal unexplained when the claim on the table was written by no take the soak saw", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("stranger"), crashRate: 0, readClaim });
    const { claim, Key } = await burstItem();
    // Taken past the handlers' client: no SDK call the soak observes wrote it.
    await direct.send(
      new UpdateItemCommand({
        TableName: stateTable,
        Key,
        UpdateExpression: "SET page_claim_until = :until",
        ExpressionAttributeValues: { ":until": { N: String(Date.now() + 30_000) } },
      }),
    );

    await faults.wrap(claiming(claim))(eventOf("refused"), context);

    const [refused] = faults.attempts();
    expect(refused?.outcome).toBe("failed");
    expect(refused?.explanation).toBeUndefined();
    expect(refused?.unexplained).toMatch(
      /refused, holder unknown \(the table's claim, until \S+, was written by no take the soak saw\)/,
    );
  });

  it("leave a refusal unexplained when the claim's work was already done: a retry for nothing", async () => {
    const faults = createProcessorFaults({ random: createSeededRandom("done"), crashRate: 0 });
    const { claim, complete } = await burstItem();

    await faults.wrap(claiming(claim, complete))(eventOf("pages"), context);
    await faults.wrap(claiming(claim))(eventOf("too late"), context);

    const [paged, late] = faults.attempts();
    expect(paged?.outcome).toBe("ok");
    expect(late?.outcome).toBe("failed");
    expect(late?.explanation).toBeUndefined();
    expect(late?.unexplained).toMatch(/refused because invocation \d+ had already done its work/);
  });
});
