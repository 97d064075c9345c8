import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { PollerDelivery } from "../../local/sqs-poller.js";
import {
  checkInvariants,
  INVARIANTS,
  type InvariantResult,
  type Observed,
  type PageSeen,
  type StoredEvent,
} from "../../soak/invariants.js";
import type { Attempt } from "../../soak/processor-faults.js";
import { createWorkload, type DeliveredPost, type SoakRecord, type Structure } from "../../soak/workload.js";
import {
  SOAK_TEST_APPS as APPS,
  SOAK_TEST_RULES as RULES,
  SOAK_TEST_START as START,
} from "../helpers/soak-workload.js";

/** A small record, delivered as the endpoint would answer each kind of post. */
function deliveredRecord(seed = "checker"): SoakRecord {
  const workload = createWorkload({ seed, appIds: APPS, rules: RULES, startMs: START });
  const planned = [...workload.backlog(60)];
  const live = workload.liveCluster({ appId: "app_one", hook: "step-up" }, START);
  if (live) planned.push(...live.posts);
  const posts: DeliveredPost[] = planned.map((post, index) => {
    const refused = post.kind === "unsigned" || post.kind === "not-json";
    return {
      ...post,
      delivery: {
        status: refused ? 400 : 200,
        requestId: `req-${index}`,
        tries: 1,
        answer: refused ? '{"message": "Invalid request body"}' : "",
      },
    };
  });
  return { rules: RULES, appIds: APPS, posts, structures: workload.structures };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const clusters = (record: SoakRecord) => record.structures.filter((s) => s.kind === "cluster");

function pagesFor(cluster: Structure): PageSeen[] {
  const page = {
    dedupKey: `hookwatch:${cluster.group.appId}:${cluster.group.hook}:${new Date(cluster.firstMs).toISOString()}`,
    appId: cluster.group.appId,
    hook: cluster.group.hook,
    windowStartMs: cluster.firstMs,
    windowEndMs: cluster.lastMs,
    delayed: cluster.phase === "backlog",
  };
  return [
    { ...page, action: "trigger" },
    { ...page, action: "resolve" },
  ];
}

/** What a pipeline that keeps every guarantee would hold after the record. */
function faithfulObservation(record: SoakRecord): Observed {
  const events = new Map<string, StoredEvent>();
  const quarantined: Observed["quarantined"][number][] = [];
  const rejected: Observed["rejected"][number][] = [];
  for (const post of record.posts) {
    const requestId = post.delivery.requestId ?? "";
    if (post.kind === "signed") {
      post.events.forEach((event, index) => {
        if (event.verdict === "quarantine") {
          quarantined.push({
            requestId,
            eventIndex: index,
            reason: event.defect ?? "invalid",
            raw: event.raw,
          });
        } else if (!events.has(event.raw)) {
          events.set(event.raw, {
            key: event.key ?? `sha256:${sha256(event.raw)}`,
            raw: event.raw,
            appId: post.appId,
            ...(event.type === undefined ? {} : { type: event.type }),
            ...(event.reason === undefined ? {} : { reason: event.reason }),
            ...(event.occurredAt === undefined ? {} : { occurredAt: event.occurredAt }),
          });
        }
      });
    } else if (post.kind === "not-a-batch") {
      quarantined.push({ requestId, reason: "not a Prelude batch", raw: post.body });
    } else if (post.kind === "forged" || post.kind === "cross-app" || post.kind === "unknown-app") {
      rejected.push({ requestId, reason: "bad signature", bodySha256: sha256(post.body) });
    }
  }
  const attempts: Attempt[] = record.posts
    .filter((post) => post.delivery.status === 200)
    .map((post, index) => ({
      requestId: post.delivery.requestId ?? "",
      messageId: `m-${index}`,
      receiveCount: 1,
      invocation: index,
      outcome: "ok",
      durationMs: 10,
      retries: 0,
      slowCalls: 0,
    }));
  return {
    events: [...events.values()],
    keysBeforeRedrive: new Set([...events.values()].map((event) => event.key)),
    quarantined,
    rejected,
    pages: clusters(record).flatMap(pagesFor),
    openBursts: [],
    deadLetters: [],
    leftInQueues: 0,
    attempts,
    attemptsBeforeRedrive: attempts.length,
    deliveries: attempts.map((attempt) => deleted(attempt, 40)),
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 3,
  };
}

/** The poller's record of a delivery deleted `afterMs` after its receive, or refused then (`error`). */
function deleted(attempt: Attempt, afterMs: number, error?: string): PollerDelivery {
  const receivedAt = START + attempt.invocation * 10_000;
  return {
    messageId: attempt.messageId,
    receiveCount: attempt.receiveCount,
    receiveSentAt: receivedAt - 2,
    receivedAt,
    invokedAt: receivedAt + 1,
    returnedAt: receivedAt + afterMs - 5,
    outcome: "deleted",
    deleteSentAt: receivedAt + afterMs - 4,
    deletedAt: receivedAt + afterMs - 2,
    ...(error === undefined ? {} : { deleteError: error }),
  };
}

/** The poller's record of a delivery left in the queue (failed, crashed). */
function left(attempt: Attempt): PollerDelivery {
  const receivedAt = START + attempt.invocation * 10_000;
  return {
    messageId: attempt.messageId,
    receiveCount: attempt.receiveCount,
    receiveSentAt: receivedAt - 2,
    receivedAt,
    invokedAt: receivedAt + 1,
    returnedAt: receivedAt + 20,
    outcome: "left",
  };
}

const REFUSED = "ReceiptHandleIsInvalid: not a valid receipt handle";

function verdict(results: readonly InvariantResult[], name: string): InvariantResult {
  const result = results.find((candidate) => candidate.name === name);
  if (result === undefined) throw new Error(`no invariant named ${name}`);
  return result;
}

const record = deliveredRecord();

describe("the soak's invariant checker", () => {
  it("finds every invariant held, each with cases checked, for a pipeline that keeps its guarantees", () => {
    const results = checkInvariants(record, faithfulObservation(record));

    expect(results.filter((result) => !result.held)).toEqual([]);
    for (const name of [
      INVARIANTS.workload,
      INVARIANTS.storedOnce,
      INVARIANTS.badInput,
      INVARIANTS.burstsPaged,
    ]) {
      expect(verdict(results, name).checked).toBeGreaterThan(0);
    }
    expect(clusters(record).length).toBeGreaterThan(1);
  });

  it("reports a missing event, naming it", () => {
    const observed = faithfulObservation(record);
    const missing = observed.events[3] as StoredEvent;

    const result = verdict(
      checkInvariants(record, { ...observed, events: observed.events.filter((event) => event !== missing) }),
      INVARIANTS.storedOnce,
    );

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain("missing");
    expect(result.counterexample).toContain(missing.raw.slice(0, 40));
  });

  it("reports an event stored twice under two keys", () => {
    const observed = faithfulObservation(record);
    const twice = observed.events[0] as StoredEvent;

    const result = verdict(
      checkInvariants(record, {
        ...observed,
        events: [...observed.events, { ...twice, key: "another-key" }],
      }),
      INVARIANTS.storedOnce,
    );

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain("stored 2 times");
  });

  it("reports an event stored with other content than was sent", () => {
    const observed = faithfulObservation(record);
    const [first, ...rest] = observed.events as [StoredEvent, ...StoredEvent[]];

    const result = verdict(
      checkInvariants(record, { ...observed, events: [{ ...first, appId: "app_elsewhere" }, ...rest] }),
      INVARIANTS.storedOnce,
    );

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain("other content");
  });

  it("reports a forged event that was stored", () => {
    const observed = faithfulObservation(record);
    const forged = record.posts.find((post) => post.kind === "forged" && post.events.length > 0);
    const event = forged?.events[0];
    if (event === undefined) throw new Error("the workload has no forged post");

    const result = verdict(
      checkInvariants(record, {
        ...observed,
        events: [...observed.events, { key: "dsp_forged", raw: event.raw }],
      }),
      INVARIANTS.badInput,
    );

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain("forged");
  });

  it("reports an invalid event that was not quarantined, and a forged post that was not rejected", () => {
    const observed = faithfulObservation(record);

    const results = checkInvariants(record, {
      ...observed,
      quarantined: observed.quarantined.slice(1),
      rejected: [],
    });

    const result = verdict(results, INVARIANTS.badInput);
    expect(result.held).toBe(false);
    expect(result.broken).toBeGreaterThan(1);
  });

  it("reports a burst that was never paged", () => {
    const observed = faithfulObservation(record);
    const unpaged = clusters(record)[0] as Structure;

    const result = verdict(
      checkInvariants(record, {
        ...observed,
        pages: observed.pages.filter((page) => page.windowStartMs !== unpaged.firstMs),
        burstsByGroup: new Map([
          [
            `GROUP#${unpaged.group.appId}#${unpaged.group.hook}`,
            [`BURST#${new Date(unpaged.firstMs - 60_000).toISOString()} (status closed, resolved_at later)`],
          ],
        ]),
        headWrites: new Map([
          [
            `GROUP#${unpaged.group.appId}#${unpaged.group.hook}`,
            [
              { by: "the recovery schedule", at: unpaged.firstMs + 2_000 },
              { by: "invocation 7", at: unpaged.firstMs - 3_600_000 },
            ],
          ],
        ]),
      }),
      INVARIANTS.burstsPaged,
    );

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain(`${unpaged.id} `);
    expect(result.counterexample).toContain("never paged");
    // The trail for whoever reads it: the group's burst items as the table held them at the end.
    expect(result.counterexample).toContain("as stored: BURST#");
    expect(result.counterexample).toContain("(status closed, resolved_at later)");
    // And when its group's head moved around it: a close that landed after the failures came, say.
    expect(result.counterexample).toContain(
      `head written (a burst opened or closed) within a minute of it: the recovery schedule at ${new Date(unpaged.firstMs + 2_000).toISOString()}`,
    );
    expect(result.counterexample).not.toContain("invocation 7 at");
  });

  it("reports a burst paged but never resolved, and one left open", () => {
    const observed = faithfulObservation(record);

    const result = verdict(
      checkInvariants(record, {
        ...observed,
        pages: observed.pages.filter((page, index) => !(page.action === "resolve" && index === 1)),
        openBursts: ["GROUP#app_one#migration BURST#2026-11-19T00:00:00.000Z"],
      }),
      INVARIANTS.burstsPaged,
    );

    expect(result.held).toBe(false);
    expect(result.broken).toBe(2);
    expect(result.counterexample).toContain("never resolved");
  });

  it("reports a page without a burst: a trickle's window", () => {
    const observed = faithfulObservation(record);
    const trickle = record.structures.find((structure) => structure.kind === "trickle") as Structure;
    const [page] = pagesFor(trickle) as [PageSeen];

    const result = verdict(
      checkInvariants(record, { ...observed, pages: [...observed.pages, page] }),
      INVARIANTS.noStrayPage,
    );

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain(`overlaps ${trickle.id} (trickle)`);
  });

  it("reports a page whose window runs past its burst", () => {
    const observed = faithfulObservation(record);
    const [first, ...rest] = observed.pages as [PageSeen, ...PageSeen[]];

    const result = verdict(
      checkInvariants(record, {
        ...observed,
        pages: [{ ...first, windowEndMs: first.windowEndMs + 86_400_000 }, ...rest],
      }),
      INVARIANTS.noStrayPage,
    );

    expect(result.held).toBe(false);
  });

  it("accepts a repeated page with the same dedup key, and reports one with another key", () => {
    const observed = faithfulObservation(record);
    const [first] = observed.pages as [PageSeen];

    const same = checkInvariants(record, { ...observed, pages: [...observed.pages, first] });
    const other = checkInvariants(record, {
      ...observed,
      pages: [...observed.pages, { ...first, dedupKey: `${first.dedupKey}-again` }],
    });

    expect(verdict(same, INVARIANTS.sameDedupKey).held).toBe(true);
    expect(verdict(other, INVARIANTS.sameDedupKey).held).toBe(false);
  });

  it("accepts a failed delivery an injected fault explains, and reports one nothing explains", () => {
    const observed = faithfulObservation(record);
    const [first] = observed.attempts as [Attempt];
    const explained: Attempt = {
      ...first,
      outcome: "failed",
      explanation: "2 injected fault(s) reached the handler",
    };
    const unexplained: Attempt = { ...first, outcome: "failed", unexplained: "ValidationException: bad key" };

    const good = checkInvariants(record, { ...observed, attempts: [...observed.attempts, explained] });
    const bad = checkInvariants(record, { ...observed, attempts: [...observed.attempts, unexplained] });

    expect(verdict(good, INVARIANTS.retriesExplained).held).toBe(true);
    expect(verdict(bad, INVARIANTS.retriesExplained).counterexample).toContain("ValidationException");
  });

  it("accepts a dead letter that failed every receive for a fault, and reports one that did not", () => {
    const observed = faithfulObservation(record);
    const post = record.posts.find((candidate) => candidate.kind === "signed") as DeliveredPost;
    const requestId = post.delivery.requestId ?? "";
    const failures = (count: number): Attempt[] =>
      Array.from({ length: count }, (_, index) => ({
        requestId,
        messageId: "m-dead",
        receiveCount: index + 1,
        invocation: 1_000 + index,
        outcome: "crashed",
        explanation: "crash injected",
        durationMs: 5,
        retries: 0,
        slowCalls: 0,
      }));
    const withAttempts = (attempts: Attempt[], last?: PollerDelivery): Observed => ({
      ...observed,
      deadLetters: [{ requestId, body: post.body }],
      attempts: [...observed.attempts.filter((attempt) => attempt.requestId !== requestId), ...attempts],
      attemptsBeforeRedrive: observed.attempts.length + attempts.length,
      deliveries: [
        ...observed.deliveries,
        ...attempts.map((attempt, index) => (index === attempts.length - 1 && last ? last : left(attempt))),
      ],
    });
    const lastOk = { ...(failures(5)[4] as Attempt), outcome: "ok", explanation: undefined } as Attempt;
    const lastSucceeded = [...failures(4), lastOk];

    const explained = checkInvariants(record, withAttempts(failures(5)));
    const tooFew = checkInvariants(record, withAttempts(failures(2)));
    // The local stand-in moves a message whose last, successful delivery outlasted the visibility timeout:
    // its delete came after the timeout.
    const lastOutlasted = checkInvariants(record, withAttempts(lastSucceeded, deleted(lastOk, 3_200)));
    const lastDeletedInTime = checkInvariants(record, withAttempts(lastSucceeded, deleted(lastOk, 900)));
    // A refused delete answered before the visibility timeout ran out explains nothing either.
    const refusedEarly = checkInvariants(record, withAttempts(lastSucceeded, deleted(lastOk, 900, REFUSED)));

    expect(verdict(explained, INVARIANTS.deadLetters).held).toBe(true);
    expect(verdict(tooFew, INVARIANTS.deadLetters).counterexample).toContain("after 2 receives");
    expect(verdict(lastOutlasted, INVARIANTS.deadLetters).held).toBe(true);
    expect(verdict(lastDeletedInTime, INVARIANTS.deadLetters).counterexample).toContain(
      "5: ok and deleted 900 ms after the receive",
    );
    expect(verdict(refusedEarly, INVARIANTS.deadLetters).counterexample).toContain("refused");
    expect(verdict(refusedEarly, INVARIANTS.deadLetters).held).toBe(false);
  });

  it("accepts a redelivery after a failed or overlong delivery, and reports one after a delete in time", () => {
    const observed = faithfulObservation(record);
    const [first] = observed.attempts as [Attempt];
    const again: Attempt = { ...first, receiveCount: 2, invocation: first.invocation + 1 };
    const failed: Attempt = {
      ...first,
      outcome: "failed",
      explanation: "an injected fault reached the handler",
    };
    const others = observed.deliveries.filter((delivery) => delivery.messageId !== first.messageId);
    const withFirst = (attempt: Attempt, delivery: PollerDelivery): Observed => ({
      ...observed,
      attempts: [...observed.attempts.slice(1), attempt, again],
      attemptsBeforeRedrive: observed.attempts.length + 1,
      deliveries: [...others, delivery, deleted(again, 40)],
    });

    const afterFailure = checkInvariants(record, withFirst(failed, left(failed)));
    const afterOutlasting = checkInvariants(record, withFirst(first, deleted(first, 3_100)));
    const afterDelete = checkInvariants(record, withFirst(first, deleted(first, 40)));
    const neverDelivered = checkInvariants(record, {
      ...observed,
      attempts: [...observed.attempts, { ...again, messageId: "m-unseen" }],
    });

    expect(verdict(afterFailure, INVARIANTS.redeliveries).held).toBe(true);
    expect(verdict(afterOutlasting, INVARIANTS.redeliveries).held).toBe(true);
    expect(verdict(afterDelete, INVARIANTS.redeliveries).counterexample).toContain(
      "came back (receive 2) after a receive that was ok and deleted 40 ms after the receive",
    );
    expect(verdict(neverDelivered, INVARIANTS.redeliveries).counterexample).toContain(
      "never reached the processor",
    );
  });

  it("reports messages left in the queues after the redrive, and events the redrive stored from no dead letter", () => {
    const observed = faithfulObservation(record);

    const result = verdict(
      checkInvariants(record, { ...observed, leftInQueues: 2, keysBeforeRedrive: new Set() }),
      INVARIANTS.redrive,
    );

    expect(result.held).toBe(false);
    expect(result.broken).toBeGreaterThan(1);
    expect(result.counterexample).toContain("2 message(s) left");
  });

  it("reports a workload whose decoy reaches the threshold, so the expected bursts would be wrong", () => {
    const trickle = record.structures.find(
      (structure) => structure.kind === "trickle" && structure.group.hook === "step-up",
    ) as Structure;
    const carrier = record.posts.find(
      (post) =>
        post.kind === "signed" &&
        post.appId === trickle.group.appId &&
        post.events.some((event) => event.failure?.t === trickle.firstMs),
    ) as DeliveredPost;
    const member = carrier.events.find((event) => event.failure?.t === trickle.firstMs);
    const extra = Array.from({ length: 3 }, (_, index) => ({
      ...member,
      raw: `${member?.raw}-copy-${index}`,
      verdict: "store" as const,
      failure: { hook: trickle.group.hook, t: trickle.firstMs + index },
    }));
    const inflated: SoakRecord = {
      ...record,
      posts: [...record.posts, { ...carrier, label: "extra", events: extra }],
    };

    const result = verdict(checkInvariants(inflated, faithfulObservation(inflated)), INVARIANTS.workload);

    expect(result.held).toBe(false);
    expect(result.counterexample).toContain("reach the threshold outside any planned cluster");
  });
});
