import type { BurstObserver, TransportFailure } from "../bursts/burst-tracker.js";
import type { ConcurrencyLimit } from "../runtime/concurrency-limit.js";
import { METRIC } from "../runtime/metric-names.js";
import type { MetricsRecorder } from "../runtime/metrics-recorder.js";
import { RetryLaterError } from "../runtime/retry-later-error.js";
import type { ResponseFailure, StormObserver } from "../storms/storm-tracker.js";
import {
  type Arrival,
  type EventStore,
  MAX_EVENT_BYTES,
  type StoreOutcome,
  storeEvent,
} from "../webhook/event-store.js";
import { type PreludeEvent, parseBatch, validateEvent } from "../webhook/event-validation.js";
import { type IntakeRecords, quarantineInput, recordRejected } from "../webhook/intake-records.js";
import type { SignatureVerifier } from "../webhook/signature-verifier.js";
import type { WebhookMessage } from "../webhook/webhook-message.js";

export interface ProcessorDeps {
  readonly store: EventStore;
  readonly intake: IntakeRecords;
  /** Absent only when verification is switched off by configuration. */
  readonly verifier?: SignatureVerifier;
  readonly appIds: readonly string[];
  readonly bursts?: BurstObserver;
  /** Absent unless a hook turns response-storm warnings on. */
  readonly storms?: StormObserver;
  readonly metrics: MetricsRecorder;
  /** Shared by every message of an invocation: each event's writes run under it, one request at a time. */
  readonly dynamodbLimit: ConcurrencyLimit;
}

// 50 sockets (MAX_SOCKETS) less 2 for each of the batch's 10 messages' own work, so no request waits out its timeouts for a socket.
export const DYNAMODB_REQUESTS_IN_FLIGHT = 30;

/** What a processed message's events came to, as counts: the log line of a 3,000-event message stays short. */
export type OutcomeCounts = Readonly<Partial<Record<StoreOutcome | "invalid", number>>>;

export type MessageOutcome =
  | { readonly kind: "rejected"; readonly reason: string }
  | { readonly kind: "quarantined"; readonly reason: string }
  | {
      readonly kind: "processed";
      readonly appId: string;
      readonly events: readonly { readonly key: string; readonly outcome: StoreOutcome | "invalid" }[];
    };

/**
 * Handles one SQS message, that is one webhook POST: authenticity first, over the raw body,
 * then validation and storage of each event on its own, so one bad event sinks nothing else.
 */
export async function processMessage(deps: ProcessorDeps, message: WebhookMessage): Promise<MessageOutcome> {
  const source = { requestId: message.requestId, receivedAt: message.receivedAt };
  let signedBy: readonly string[] | undefined;
  if (deps.verifier) {
    const check = await deps.verifier.verify({
      body: message.body,
      ...(message.signature === undefined ? {} : { signature: message.signature }),
      ...(message.signatureKeyId === undefined ? {} : { keyId: message.signatureKeyId }),
    });
    if (check.outcome === "unavailable")
      throw new RetryLaterError(`signature check unavailable: ${check.reason}`);
    if (check.outcome === "rejected") return reject(deps, message, check.reason);
    signedBy = check.appIds;
  }

  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch (error) {
    return quarantine(deps, message, `body is not JSON: ${(error as Error).message}`);
  }
  const batch = parseBatch(body);
  if (!batch.ok) return quarantine(deps, message, batch.reason);
  if (!deps.appIds.includes(batch.appId)) {
    return reject(deps, message, `app_id "${batch.appId}" is not a configured Prelude app`, batch.appId);
  }
  if (signedBy !== undefined && !signedBy.includes(batch.appId)) {
    return reject(
      deps,
      message,
      `signed with a key of app ${signedBy.map((app) => `"${app}"`).join(", ")} but claims app "${batch.appId}"`,
      batch.appId,
    );
  }

  const arrival: Arrival = { appId: batch.appId, ...source };
  const { outcomes, failures, responses } = await storeEvents(deps, message, arrival, batch.events);
  if (failures.length > 0 && deps.bursts) await deps.bursts.observe(batch.appId, failures);
  if (responses.length > 0 && deps.storms) await deps.storms.observe(batch.appId, responses);

  return {
    kind: "processed",
    appId: batch.appId,
    events: outcomes,
  };
}

type EventOutcome = { readonly key: string; readonly outcome: StoreOutcome | "invalid" };

/**
 * Stores a message's events, each on its own, under the invocation's limit. Repeats of one key wait for
 * the first: within a message, as across messages, the first occurrence wins. Once one event fails the
 * whole message comes back, so its events still waiting are skipped; the message settles before it
 * fails, so none of its writes outlives the invocation.
 */
async function storeEvents(
  deps: ProcessorDeps,
  message: WebhookMessage,
  arrival: Arrival,
  elements: readonly unknown[],
): Promise<{ outcomes: EventOutcome[]; failures: TransportFailure[]; responses: ResponseFailure[] }> {
  const failures: TransportFailure[] = [];
  const responses: ResponseFailure[] = [];
  const storing = new Map<string, Promise<unknown>>();
  let failed: { readonly error: unknown } | undefined;
  // The failure is noted before the slot is freed, so the next waiting event already sees it.
  const write = <T>(task: () => Promise<T>) =>
    deps.dynamodbLimit.run(async () => {
      if (failed !== undefined) throw failed.error;
      try {
        return await task();
      } catch (error) {
        failed ??= { error };
        throw error;
      }
    });

  const storeElement = async (element: unknown, index: number): Promise<EventOutcome> => {
    const problem = checkEvent(element);
    if (!problem.ok) {
      await write(() =>
        quarantineInput(deps.intake, arrival, {
          // An element too deep to serialize alone is kept as the whole body it came in.
          raw: problem.raw ?? message.body,
          reason: problem.reason,
          eventIndex: index,
          appId: arrival.appId,
        }),
      );
      deps.metrics.count(METRIC.eventsInvalid, { hook: "none", reason_class: "invalid" });
      return { key: `#${index}`, outcome: "invalid" };
    }
    const { event } = problem;
    const earlier = storing.get(event.key);
    const store = () => write(() => storeEvent(deps.store, event, arrival));
    const stored = earlier === undefined ? store() : earlier.then(store);
    storing.set(
      event.key,
      stored.catch(() => undefined),
    );
    const outcome = await stored;
    countEvent(deps.metrics, event, outcome);
    if (outcome !== "conflict" && event.hook && event.occurredAtMs !== undefined) {
      const failure = { event, hook: event.hook, occurredAtMs: event.occurredAtMs };
      if (event.reasonClass === "transport") failures.push(failure);
      else if (event.reasonClass === "response") responses.push(failure);
    }
    return { key: event.key, outcome };
  };

  const settled = await Promise.allSettled(
    elements.map((element, index) =>
      storeElement(element, index).catch((error: unknown) => {
        failed ??= { error };
        throw error;
      }),
    ),
  );
  if (failed !== undefined) throw failed.error;
  const outcomes = settled.map((result) => (result as PromiseFulfilledResult<EventOutcome>).value);
  return { outcomes, failures, responses };
}

/** An event that validates and fits in an item, or why not. */
function checkEvent(
  element: unknown,
): { ok: true; event: PreludeEvent } | { ok: false; reason: string; raw?: string } {
  const validation = validateEvent(element);
  if (!validation.valid)
    return validation.raw === undefined
      ? { ok: false, reason: validation.reason }
      : { ok: false, reason: validation.reason, raw: validation.raw };
  const bytes = Buffer.byteLength(validation.event.raw);
  if (bytes > MAX_EVENT_BYTES) {
    return {
      ok: false,
      reason: `event is ${bytes} bytes; hookwatch stores events up to ${MAX_EVENT_BYTES} bytes (DynamoDB items hold 400 KB)`,
      raw: validation.event.raw,
    };
  }
  return { ok: true, event: validation.event };
}

/** A processed message's events, counted by outcome. */
export function countOutcomes(
  events: readonly { readonly outcome: StoreOutcome | "invalid" }[],
): OutcomeCounts {
  const counts: Partial<Record<StoreOutcome | "invalid", number>> = {};
  for (const { outcome } of events) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

function countEvent(metrics: MetricsRecorder, event: PreludeEvent, outcome: StoreOutcome): void {
  const dimensions = { hook: event.hook ?? "none", reason_class: event.reasonClass };
  const name =
    outcome === "stored"
      ? METRIC.eventsStored
      : outcome === "duplicate"
        ? METRIC.eventsDuplicate
        : METRIC.eventsConflict;
  metrics.count(name, dimensions);
  if (outcome === "stored" && event.flags.length > 0) metrics.count(METRIC.eventsUnknown, dimensions);
}

async function reject(
  deps: ProcessorDeps,
  message: WebhookMessage,
  reason: string,
  claimedAppId?: string,
): Promise<MessageOutcome> {
  await recordRejected(deps.intake, message, {
    reason,
    body: message.body,
    ...(claimedAppId === undefined ? {} : { claimedAppId }),
  });
  deps.metrics.count(METRIC.messagesRejected);
  return { kind: "rejected", reason };
}

async function quarantine(
  deps: ProcessorDeps,
  message: WebhookMessage,
  reason: string,
): Promise<MessageOutcome> {
  await quarantineInput(deps.intake, message, { raw: message.body, reason });
  deps.metrics.count(METRIC.messagesQuarantined);
  return { kind: "quarantined", reason };
}
