import { createHash } from "node:crypto";
import { groupPartition } from "../lambdas/bursts/burst-record.js";
import type { Hook } from "../lambdas/runtime/hooks.js";
import type { PollerDelivery } from "../local/sqs-poller.js";
import type { Attempt } from "./processor-faults.js";
import {
  type DeliveredPost,
  groupName,
  type SentEvent,
  type SoakRecord,
  type Structure,
} from "./workload.js";

/** An item of the events table, as read back at the end. */
export interface StoredEvent {
  readonly key: string;
  readonly raw: string;
  readonly appId?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly occurredAt?: string;
}

/** A quarantined or rejected record of the state table. */
export interface IntakeRecord {
  readonly requestId: string;
  readonly reason: string;
  /** Quarantine: the index of the event in its batch; absent for a whole body. */
  readonly eventIndex?: number;
  readonly raw?: string;
  /** Rejected: the hash of the body, the only trace of it kept. */
  readonly bodySha256?: string;
}

/** One publish to the paging topic, from the pager file (the JSON document subscribers get). */
export interface PageSeen {
  readonly action: "trigger" | "resolve";
  readonly dedupKey: string;
  readonly appId: string;
  readonly hook: Hook;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly delayed: boolean;
}

export interface DeadLetter {
  readonly requestId: string;
  readonly body: string;
}

/** Everything read back from the pipeline, to hold against the record. */
export interface Observed {
  readonly events: readonly StoredEvent[];
  /** Event keys stored before the dead-letter queue was redriven. */
  readonly keysBeforeRedrive: ReadonlySet<string>;
  readonly quarantined: readonly IntakeRecord[];
  readonly rejected: readonly IntakeRecord[];
  readonly pages: readonly PageSeen[];
  /** Bursts still open in the state table at the end. */
  readonly openBursts: readonly string[];
  /** Every burst item at the end, by group partition (`GROUP#<app>#<hook>`), as one line each. */
  readonly burstsByGroup?: ReadonlyMap<string, readonly string[]>;
  /** Every answered write of a group's head (a burst opened or closed), by group partition: by whom, when. */
  readonly headWrites?: ReadonlyMap<string, readonly { readonly by: string; readonly at: number }[]>;
  /** What the dead-letter queue held before the redrive. */
  readonly deadLetters: readonly DeadLetter[];
  /** Messages left in the queues after the redrive (main queue and dead-letter queue). */
  readonly leftInQueues: number;
  readonly attempts: readonly Attempt[];
  /** How many of `attempts` came before the redrive: what put messages in the dead-letter queue. */
  readonly attemptsBeforeRedrive: number;
  /** The poller's record of each delivery: when it was received, and whether and when it was deleted. */
  readonly deliveries: readonly PollerDelivery[];
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

export interface InvariantResult {
  readonly name: string;
  readonly held: boolean;
  /** How many cases were checked, so "held" never means "nothing to check". */
  readonly checked: number;
  readonly counterexample?: string;
  /** How many cases broke it. */
  readonly broken?: number;
  /** The first few counterexamples, the first one included. */
  readonly examples?: readonly string[];
}

export const INVARIANTS = {
  workload: "the workload has exactly the planned bursts",
  storedOnce: "every valid event stored exactly once with its original content",
  badInput: "every invalid or forged input quarantined or rejected with a reason, none stored",
  burstsPaged: "every expected burst paged at least once and resolved",
  noStrayPage: "no page without an expected burst",
  sameDedupKey: "repeated pages only with the same dedup key",
  retriesExplained: "every failed delivery is explained by an injected fault",
  redeliveries: "every redelivery follows a failed delivery or one that outlasted the visibility timeout",
  deadLetters: "the dead-letter queue holds only what the faults explain",
  redrive: "redriving the dead-letter queue completes the record",
} as const;

const MAX_EXAMPLES = 5;

/** Collects the cases of one invariant; the first counterexample is kept whole, the rest counted. */
class Check {
  checked = 0;
  broken = 0;
  readonly examples: string[] = [];

  constructor(readonly name: string) {}

  case(ok: boolean, describe: () => string): void {
    this.checked += 1;
    if (ok) return;
    this.broken += 1;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(describe());
  }

  result(): InvariantResult {
    return {
      name: this.name,
      held: this.broken === 0,
      checked: this.checked,
      ...(this.examples[0] === undefined
        ? {}
        : { counterexample: this.examples[0], broken: this.broken, examples: this.examples }),
    };
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const iso = (ms: number) => new Date(ms).toISOString();
const short = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Posts the processor must have processed: signed and accepted by the endpoint. */
const acceptedSigned = (record: SoakRecord) =>
  record.posts.filter((post) => post.kind === "signed" && post.delivery.status === 200);

/** Every valid event of an accepted signed post, once per distinct raw, with the post it first came in. */
function expectedEvents(record: SoakRecord): Map<string, { event: SentEvent; post: DeliveredPost }> {
  const expected = new Map<string, { event: SentEvent; post: DeliveredPost }>();
  for (const post of acceptedSigned(record)) {
    for (const event of post.events) {
      if (event.verdict === "store" && !expected.has(event.raw)) expected.set(event.raw, { event, post });
    }
  }
  return expected;
}

/** Checks every invariant of the soak against the independent record. */
export function checkInvariants(record: SoakRecord, observed: Observed): InvariantResult[] {
  return [
    checkWorkload(record),
    checkStoredOnce(record, observed),
    checkBadInput(record, observed),
    ...checkPages(record, observed),
    checkRetriesExplained(observed),
    checkRedeliveries(observed),
    checkDeadLetters(observed),
    checkRedrive(record, observed),
  ];
}

/**
 * The expected bursts are the planned clusters only if what was actually accepted agrees: each cluster
 * reaches its threshold within one window, and no other set of counted failures does, nor comes within
 * a window and a quiet period of a cluster.
 */
function checkWorkload(record: SoakRecord): InvariantResult {
  const check = new Check(INVARIANTS.workload);
  const failures = new Map<string, Map<string, number>>();
  for (const post of acceptedSigned(record)) {
    for (const event of post.events) {
      if (event.verdict !== "store" || event.failure === undefined) continue;
      const name = groupName({ appId: post.appId, hook: event.failure.hook });
      const group = failures.get(name) ?? new Map<string, number>();
      group.set(event.raw, event.failure.t);
      failures.set(name, group);
    }
  }
  const clusters = record.structures.filter((structure) => structure.kind === "cluster");
  for (const cluster of clusters) {
    const rule = record.rules[cluster.group.hook];
    const times = [...(failures.get(groupName(cluster.group))?.values() ?? [])].filter(
      (t) => t >= cluster.firstMs && t <= cluster.lastMs,
    );
    check.case(
      times.length >= rule.threshold && cluster.lastMs - cluster.firstMs <= rule.windowSeconds * 1000,
      () =>
        `${cluster.id} of ${groupName(cluster.group)} has ${times.length} accepted failures over ${cluster.lastMs - cluster.firstMs} ms; a burst needs ${rule.threshold} within ${rule.windowSeconds} s`,
    );
  }
  for (const [name, group] of failures) {
    const hook = name.slice(name.lastIndexOf("/") + 1) as Hook;
    const rule = record.rules[hook];
    const ownClusters = clusters.filter((cluster) => groupName(cluster.group) === name);
    const reach = (rule.windowSeconds + rule.quietSeconds) * 1000;
    const outside = [...group.values()].filter(
      (t) => !ownClusters.some((cluster) => t >= cluster.firstMs && t <= cluster.lastMs),
    );
    outside.sort((a, b) => a - b);
    const ordered = [...ownClusters].sort((a, b) => a.firstMs - b.firstMs);
    for (const [index, cluster] of ordered.entries()) {
      const next = ordered[index + 1];
      if (next === undefined) continue;
      check.case(
        next.firstMs - cluster.lastMs > reach,
        () =>
          `${cluster.id} and ${next.id} of ${name} are within a window and a quiet period: they could be one burst`,
      );
    }
    for (const [index, t] of outside.entries()) {
      const near = ownClusters.find((cluster) => t > cluster.firstMs - reach && t < cluster.lastMs + reach);
      const crossing = outside[index + rule.threshold - 1];
      check.case(
        near === undefined && (crossing === undefined || crossing - t > rule.windowSeconds * 1000),
        () =>
          near
            ? `a failure of ${name} at ${iso(t)} outside any cluster is within a window and a quiet period of ${near.id}`
            : `failures of ${name} from ${iso(t)} reach the threshold outside any planned cluster`,
      );
    }
  }
  return check.result();
}

function checkStoredOnce(record: SoakRecord, observed: Observed): InvariantResult {
  const check = new Check(INVARIANTS.storedOnce);
  for (const post of record.posts.filter((p) => p.kind === "signed")) {
    check.case(
      post.delivery.status === 200,
      () =>
        `${post.label} (signed, valid) was answered ${post.delivery.status}: ${short(post.delivery.answer)}`,
    );
  }
  const byRaw = new Map<string, StoredEvent[]>();
  for (const item of observed.events) byRaw.set(item.raw, [...(byRaw.get(item.raw) ?? []), item]);
  for (const [raw, { event, post }] of expectedEvents(record)) {
    const items = byRaw.get(raw) ?? [];
    const item = items[0];
    check.case(items.length === 1, () =>
      items.length === 0
        ? `missing: an event of ${post.label} (${event.type ?? "?"}, ${event.reason ?? "no reason"}, key ${event.key ?? "by content"}; ${fateOf(post, observed)}): ${short(raw)}`
        : `stored ${items.length} times, under keys ${items.map((i) => i.key).join(", ")}: ${short(raw)}`,
    );
    if (item === undefined) continue;
    const mismatch = [
      event.key !== undefined && item.key !== event.key ? `key ${item.key}, sent ${event.key}` : "",
      event.key === undefined && !/^sha256:[0-9a-f]{64}$/.test(item.key)
        ? `key ${item.key}, not a content hash`
        : "",
      item.appId !== post.appId ? `app ${item.appId}, sent ${post.appId}` : "",
      event.type !== undefined && item.type !== event.type ? `type ${item.type}, sent ${event.type}` : "",
      event.reason !== undefined && item.reason !== event.reason
        ? `reason ${item.reason}, sent ${event.reason}`
        : "",
      event.occurredAt !== undefined && item.occurredAt !== event.occurredAt
        ? `occurred_at ${item.occurredAt}, sent ${event.occurredAt}`
        : "",
    ].filter((text) => text !== "");
    check.case(
      mismatch.length === 0,
      () => `stored with other content (${mismatch.join("; ")}): ${short(raw)}`,
    );
  }
  return check.result();
}

/** What became of a post, for a counterexample: rejected, quarantined whole, or processed. */
function fateOf(post: DeliveredPost, observed: Observed): string {
  const { requestId } = post.delivery;
  const rejected = observed.rejected.find((item) => item.requestId === requestId);
  if (rejected) return `request ${requestId} rejected: ${rejected.reason}`;
  const body = observed.quarantined.find(
    (item) => item.requestId === requestId && item.eventIndex === undefined,
  );
  if (body) return `request ${requestId} quarantined whole: ${body.reason}`;
  const attempts = observed.attempts.filter((attempt) => attempt.requestId === requestId);
  const dead = observed.deadLetters.some((letter) => letter.requestId === requestId)
    ? ", then dead-lettered"
    : "";
  return `request ${requestId} delivered ${attempts.length} time(s): ${attempts.map((a) => `${a.outcome}@${a.invocation}`).join(", ") || "never"}${dead}`;
}

function checkBadInput(record: SoakRecord, observed: Observed): InvariantResult {
  const check = new Check(INVARIANTS.badInput);
  const expected = expectedEvents(record);
  const quarantined = new Map(
    observed.quarantined.map((item) => [`${item.requestId}#${item.eventIndex ?? "body"}`, item]),
  );
  const rejected = new Map(observed.rejected.map((item) => [item.requestId, item]));
  const storedRaws = new Set(observed.events.map((item) => item.raw));

  for (const post of record.posts) {
    const { requestId, status } = post.delivery;
    switch (post.kind) {
      case "signed":
        for (const [index, event] of post.events.entries()) {
          if (event.verdict !== "quarantine" || status !== 200) continue;
          const item = quarantined.get(`${requestId}#${index}`);
          check.case(item !== undefined && item.reason !== "" && item.raw === event.raw, () =>
            item === undefined
              ? `event ${index} of ${post.label} (${event.defect}) was not quarantined: ${short(event.raw)}`
              : `event ${index} of ${post.label} quarantined as "${item.reason}" with raw ${short(item.raw ?? "")}`,
          );
          check.case(
            !storedRaws.has(event.raw),
            () => `an invalid event (${event.defect}) was stored: ${short(event.raw)}`,
          );
        }
        break;
      case "not-a-batch": {
        const item = quarantined.get(`${requestId}#body`);
        check.case(
          status === 200 && item !== undefined && item.reason !== "" && item.raw === post.body,
          () => `${post.label} (not a batch) answered ${status}, quarantined: ${item?.reason ?? "no"}`,
        );
        break;
      }
      case "forged":
      case "cross-app":
      case "unknown-app": {
        const item = rejected.get(requestId ?? "");
        check.case(
          status === 200 && item !== undefined && item.reason !== "" && item.bodySha256 === sha256(post.body),
          () =>
            `${post.label} (${post.kind}) answered ${status}, rejected: ${item === undefined ? "no record" : `"${item.reason}"`}`,
        );
        break;
      }
      case "unsigned":
      case "not-json":
        check.case(
          status >= 400 && status < 500 && /"message"/.test(post.delivery.answer),
          () => `${post.label} (${post.kind}) answered ${status}: ${short(post.delivery.answer)}`,
        );
        break;
    }
    if (post.kind !== "signed") {
      for (const event of post.events) {
        check.case(
          !storedRaws.has(event.raw) || expected.has(event.raw),
          () => `an event of ${post.label} (${post.kind}) was stored: ${short(event.raw)}`,
        );
      }
    }
  }
  for (const item of observed.events) {
    check.case(
      expected.has(item.raw),
      () => `stored but never sent in a valid post: ${item.key} ${short(item.raw)}`,
    );
  }
  return check.result();
}

/** The cluster a page belongs to: same group, its window inside the cluster's failures. */
function clusterOf(page: PageSeen, clusters: readonly Structure[]): Structure | undefined {
  return clusters.find(
    (cluster) =>
      cluster.group.appId === page.appId &&
      cluster.group.hook === page.hook &&
      page.windowStartMs >= cluster.firstMs &&
      page.windowEndMs <= cluster.lastMs,
  );
}

/** The accepted signed posts that carried failures of a structure. */
function carriersOf(record: SoakRecord, structure: Structure): DeliveredPost[] {
  return acceptedSigned(record).filter(
    (post) =>
      post.appId === structure.group.appId &&
      post.events.some(
        (event) =>
          event.failure?.hook === structure.group.hook &&
          event.failure.t >= structure.firstMs &&
          event.failure.t <= structure.lastMs,
      ),
  );
}

function describePage(page: PageSeen): string {
  return `${page.action} ${page.dedupKey} window ${iso(page.windowStartMs)}..${iso(page.windowEndMs)}${page.delayed ? " (delayed)" : ""}`;
}

function describeCluster(cluster: Structure): string {
  return `${cluster.id} (${cluster.phase}, ${cluster.counted} failures of ${groupName(cluster.group)} ${iso(cluster.firstMs)}..${iso(cluster.lastMs)})`;
}

function checkPages(record: SoakRecord, observed: Observed): InvariantResult[] {
  const paged = new Check(INVARIANTS.burstsPaged);
  const stray = new Check(INVARIANTS.noStrayPage);
  const sameKey = new Check(INVARIANTS.sameDedupKey);
  const clusters = record.structures.filter((structure) => structure.kind === "cluster");
  const pagesOf = new Map<string, PageSeen[]>();

  for (const page of observed.pages) {
    const cluster = clusterOf(page, clusters);
    stray.case(cluster !== undefined, () => {
      const overlapping = record.structures.find(
        (s) =>
          s.group.appId === page.appId &&
          s.group.hook === page.hook &&
          page.windowStartMs <= s.lastMs &&
          page.windowEndMs >= s.firstMs,
      );
      return `${describePage(page)} matches no expected burst${overlapping ? `; it overlaps ${overlapping.id} (${overlapping.kind})` : ""}`;
    });
    if (cluster) pagesOf.set(cluster.id, [...(pagesOf.get(cluster.id) ?? []), page]);
  }

  for (const cluster of clusters) {
    const pages = pagesOf.get(cluster.id) ?? [];
    const triggers = pages.filter((page) => page.action === "trigger");
    const triggerKeys = new Set(triggers.map((page) => page.dedupKey));
    const resolved = pages.some((page) => page.action === "resolve" && triggerKeys.has(page.dedupKey));
    paged.case(triggers.length > 0 && resolved, () => {
      const groupPages = observed.pages
        .filter((page) => page.appId === cluster.group.appId && page.hook === cluster.group.hook)
        .filter((page) => Math.abs(page.windowStartMs - cluster.firstMs) < 3_600_000)
        .map(describePage);
      const carriers = carriersOf(record, cluster).map((post) => `${post.label} (${fateOf(post, observed)})`);
      const partition = groupPartition(cluster.group);
      const stored = (observed.burstsByGroup?.get(partition) ?? [])
        .filter(
          (burst) =>
            Math.abs(Date.parse(burst.slice("BURST#".length, burst.indexOf(" "))) - cluster.firstMs) <
            3_600_000,
        )
        .join("; ");
      const headWrites = (observed.headWrites?.get(partition) ?? [])
        .filter((write) => write.at >= cluster.firstMs - 60_000 && write.at <= cluster.lastMs + 60_000)
        .map((write) => `${write.by} at ${new Date(write.at).toISOString()}`)
        .join(", ");
      const context = `; its failures came in ${carriers.join(", ")}; pages of its group within an hour: ${groupPages.join("; ") || "none"}; its group's bursts within an hour as stored: ${stored || "none"}; its group's head written (a burst opened or closed) within a minute of it: ${headWrites || "never"}`;
      return triggers.length === 0
        ? `${describeCluster(cluster)} was never paged${context}`
        : `${describeCluster(cluster)} was paged (${[...triggerKeys].join(", ")}) but never resolved${context}`;
    });
    const keys = new Set(pages.map((page) => page.dedupKey));
    sameKey.case(
      keys.size <= 1,
      () =>
        `${describeCluster(cluster)} got pages under ${keys.size} dedup keys: ${pages.map(describePage).join("; ")}`,
    );
  }
  for (const burst of observed.openBursts) {
    paged.case(false, () => `burst ${burst} is still open at the end`);
  }
  return [paged.result(), stray.result(), sameKey.result()];
}

function checkRetriesExplained(observed: Observed): InvariantResult {
  const check = new Check(INVARIANTS.retriesExplained);
  for (const attempt of observed.attempts) {
    if (attempt.outcome === "ok") continue;
    check.case(
      attempt.explanation !== undefined,
      () =>
        `request ${attempt.requestId} failed on receive ${attempt.receiveCount} (invocation ${attempt.invocation}) with no injected fault: ${attempt.unexplained ?? "?"}`,
    );
  }
  return check.result();
}

const deliveryKey = (messageId: string, receiveCount: number) => `${messageId}#${receiveCount}`;

/**
 * Whether a delivery explains why its message was received again (or moved to the dead-letter queue):
 * it failed for an injected fault, or it succeeded but ran past the visibility timeout, so that the
 * message was visible again (or `local-aws-sqs` had moved it to the dead-letter queue, which it does when
 * the visibility timeout after the last receive expires) before its delete. Exact from the poller's
 * clock, up to the two calls' round trips: the delete was answered at least a visibility timeout after
 * the receive was sent. A delivery deleted sooner explains nothing.
 */
export function whyItCameBack(
  attempt: Attempt,
  delivery: PollerDelivery | undefined,
  visibilityMs: number,
): { explained: boolean; text: string } {
  if (attempt.outcome !== "ok") {
    const why = `${attempt.outcome}${attempt.explanation ? ` (${attempt.explanation})` : ""}${attempt.unexplained ? ` [${attempt.unexplained}]` : ""}`;
    return { explained: attempt.explanation !== undefined, text: why };
  }
  if (delivery === undefined) return { explained: false, text: "ok, with no record of its delete" };
  const ran = (delivery.deletedAt ?? delivery.returnedAt) - delivery.receiveSentAt;
  const refused = delivery.deleteError ? `, refused (${delivery.deleteError})` : "";
  if (delivery.outcome === "left") {
    return {
      explained: false,
      text: `ok, but left in the queue after ${ran} ms (the invocation timed out?)`,
    };
  }
  if (ran >= visibilityMs) {
    return {
      explained: true,
      text: `ok, but outlasted the visibility timeout: its delete was answered ${ran} ms after the receive${refused}`,
    };
  }
  return { explained: false, text: `ok and deleted ${ran} ms after the receive${refused}` };
}

/** Each message's deliveries, by receive count, with the poller's record of each. */
function deliveriesByMessage(attempts: readonly Attempt[]): Map<string, Attempt[]> {
  const byMessage = new Map<string, Attempt[]>();
  for (const attempt of attempts) {
    byMessage.set(attempt.messageId, [...(byMessage.get(attempt.messageId) ?? []), attempt]);
  }
  for (const list of byMessage.values()) list.sort((a, b) => a.receiveCount - b.receiveCount);
  return byMessage;
}

/** A message comes back only after a delivery that did not delete it in time. */
function checkRedeliveries(observed: Observed): InvariantResult {
  const check = new Check(INVARIANTS.redeliveries);
  const deliveries = new Map(observed.deliveries.map((d) => [deliveryKey(d.messageId, d.receiveCount), d]));
  const visibilityMs = observed.visibilityTimeoutSeconds * 1000;
  for (const attempts of deliveriesByMessage(observed.attempts).values()) {
    const byCount = new Map(attempts.map((attempt) => [attempt.receiveCount, attempt]));
    for (const attempt of attempts) {
      if (attempt.receiveCount <= 1) continue;
      const previous = byCount.get(attempt.receiveCount - 1);
      const why =
        previous &&
        whyItCameBack(
          previous,
          deliveries.get(deliveryKey(previous.messageId, previous.receiveCount)),
          visibilityMs,
        );
      check.case(
        why?.explained === true,
        () =>
          `request ${attempt.requestId} came back (receive ${attempt.receiveCount}) after a receive that ${why === undefined ? "never reached the processor" : `was ${why.text}`}`,
      );
    }
  }
  return check.result();
}

/**
 * A message belongs in the dead-letter queue only if it was received `maxReceiveCount` times and no
 * receive deleted it in time: each failed for an injected fault or outlasted the visibility timeout.
 */
function checkDeadLetters(observed: Observed): InvariantResult {
  const check = new Check(INVARIANTS.deadLetters);
  const byRequest = new Map<string, Attempt[]>();
  for (const attempt of observed.attempts.slice(0, observed.attemptsBeforeRedrive)) {
    byRequest.set(attempt.requestId, [...(byRequest.get(attempt.requestId) ?? []), attempt]);
  }
  const deliveries = new Map(observed.deliveries.map((d) => [deliveryKey(d.messageId, d.receiveCount), d]));
  const visibilityMs = observed.visibilityTimeoutSeconds * 1000;
  for (const letter of observed.deadLetters) {
    const attempts = [...(byRequest.get(letter.requestId) ?? [])].sort(
      (a, b) => a.receiveCount - b.receiveCount,
    );
    const reasons = attempts.map((attempt) =>
      whyItCameBack(
        attempt,
        deliveries.get(deliveryKey(attempt.messageId, attempt.receiveCount)),
        visibilityMs,
      ),
    );
    const explained = reasons.filter((reason) => reason.explained).length;
    check.case(
      attempts.length >= observed.maxReceiveCount && explained === attempts.length,
      () =>
        `request ${letter.requestId} is in the dead-letter queue after ${attempts.length} receives (${explained} explained): ${reasons.map((reason, index) => `${index + 1}: ${reason.text}`).join("; ")}`,
    );
  }
  return check.result();
}

/** After the redrive the queues are empty and every event missing before it came from a dead letter. */
function checkRedrive(record: SoakRecord, observed: Observed): InvariantResult {
  const check = new Check(INVARIANTS.redrive);
  check.case(
    observed.leftInQueues === 0,
    () => `${observed.leftInQueues} message(s) left in the queues after the redrive`,
  );
  const deadBodies = new Set(observed.deadLetters.map((letter) => letter.body));
  const storedKeys = new Set(observed.events.map((item) => item.key));
  const storedByRaw = new Map(observed.events.map((item) => [item.raw, item.key]));
  for (const [raw, { event, post }] of expectedEvents(record)) {
    const key = storedByRaw.get(raw);
    if (key === undefined || observed.keysBeforeRedrive.has(key)) continue;
    // Stored only by the redrive: one of the posts it came in must have been a dead letter.
    const carriers = record.posts.filter((p) => p.kind === "signed" && p.events.some((e) => e.raw === raw));
    check.case(
      carriers.some((carrier) => deadBodies.has(carrier.body)),
      () =>
        `an event of ${post.label} (${event.key ?? "by content"}) was stored only after the redrive, but none of its posts was a dead letter`,
    );
  }
  check.case(storedKeys.size === observed.events.length, () => "the events table holds a key twice");
  return check.result();
}
