import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { expiresAfterDays, type Item, readString, toItem, utcDay } from "../runtime/attribute-values.js";
import { EVENTS_TABLE } from "../runtime/table-model.js";
import type { PreludeEvent } from "./event-validation.js";

export interface EventStore {
  readonly client: DynamoDBClient;
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly retentionDays: number;
}

/** Where and when an event arrived: one webhook POST. */
export interface Arrival {
  readonly appId: string;
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
}

export type StoreOutcome = "stored" | "duplicate" | "conflict";

/** DynamoDB items hold 400 KB; an event this large is quarantined instead of failing the write forever. */
export const MAX_EVENT_BYTES = 300_000;

/** Partition of the `by-hook` index: one app, one hook (or event type), one reason class. */
export function hookKey(appId: string, hookOrType: string, reasonClass: string): string {
  return `${appId}#${hookOrType}#${reasonClass}`;
}

/** Sort key of the `by-hook` index: time order, then the event key to keep it unique. */
export function occurredKey(occurredAtMs: number, eventKey: string): string {
  return `${new Date(occurredAtMs).toISOString()}#${eventKey}`;
}

/** The event's time for ordering: `occurred_at`, or its arrival when Prelude sent no valid time. */
export function eventTime(event: PreludeEvent, arrival: Arrival): number {
  return event.occurredAtMs ?? arrival.receivedAt;
}

export function toEventItem(event: PreludeEvent, arrival: Arrival, retentionDays: number): Item {
  const time = eventTime(event, arrival);
  return toItem({
    [EVENTS_TABLE.partitionKey]: event.key,
    key_source: event.keySource,
    type: event.type,
    hook: event.hook,
    reason: event.reason,
    reason_class: event.reasonClass,
    occurred_at: event.occurredAt,
    received_at: new Date(arrival.receivedAt).toISOString(),
    app_id: arrival.appId,
    correlation_id: event.correlationId,
    user_id: event.userId,
    session_id: event.sessionId,
    scope: event.scope,
    envelope_id: event.envelopeId,
    flags: event.flags,
    content_hash: event.contentHash,
    request_id: arrival.requestId,
    raw: event.raw,
    [EVENTS_TABLE.byHookIndex.partitionKey]: hookKey(
      arrival.appId,
      event.hook ?? event.type,
      event.reasonClass,
    ),
    [EVENTS_TABLE.byHookIndex.sortKey]: occurredKey(time, event.key),
    [EVENTS_TABLE.ttlAttribute]: expiresAfterDays(arrival.receivedAt, retentionDays),
  });
}

/**
 * Stores an event once: a conditional put on its key, so the first write wins whatever the
 * delivery, batch or invocation. The same key with other content is kept aside as a conflict.
 */
export async function storeEvent(
  store: EventStore,
  event: PreludeEvent,
  arrival: Arrival,
): Promise<StoreOutcome> {
  try {
    await store.client.send(
      new PutItemCommand({
        TableName: store.eventsTableName,
        Item: toEventItem(event, arrival, store.retentionDays),
        ConditionExpression: "attribute_not_exists(#key)",
        ExpressionAttributeNames: { "#key": EVENTS_TABLE.partitionKey },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return "stored";
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = error.Item ?? (await readEvent(store, event.key));
    if (readString(existing, "content_hash") === event.contentHash) return "duplicate";
    await recordConflict(store, event, arrival, readString(existing, "content_hash"));
    return "conflict";
  }
}

export async function readEvent(store: EventStore, key: string): Promise<Item | undefined> {
  const result = await store.client.send(
    new GetItemCommand({
      TableName: store.eventsTableName,
      Key: { [EVENTS_TABLE.partitionKey]: { S: key } },
      ConsistentRead: true,
    }),
  );
  return result.Item;
}

/** Conflicts live in the state table, one per key and content per day, listable by day. */
async function recordConflict(
  store: EventStore,
  event: PreludeEvent,
  arrival: Arrival,
  storedHash: string | undefined,
): Promise<void> {
  await store.client.send(
    new PutItemCommand({
      TableName: store.stateTableName,
      Item: toItem({
        pk: `CONFLICT#${utcDay(arrival.receivedAt)}`,
        sk: `${event.key}#${event.contentHash}`,
        event_key: event.key,
        stored_content_hash: storedHash,
        content_hash: event.contentHash,
        type: event.type,
        hook: event.hook,
        reason: event.reason,
        app_id: arrival.appId,
        request_id: arrival.requestId,
        received_at: new Date(arrival.receivedAt).toISOString(),
        raw: event.raw,
        expires_at: expiresAfterDays(arrival.receivedAt, store.retentionDays),
      }),
    }),
  );
}
