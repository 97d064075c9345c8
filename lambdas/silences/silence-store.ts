import { randomBytes } from "node:crypto";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { expiresAfterDays, type Item, readString, toItem } from "../runtime/attribute-values.js";
import {
  checkNewSilence,
  type NewSilence,
  SILENCE_PARTITION,
  SILENCE_RETENTION_DAYS,
  type Silence,
  type SilenceScope,
} from "./silence-record.js";

/** Where silences live: the state table. */
export interface SilenceTable {
  readonly client: DynamoDBClient;
  readonly stateTableName: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `sil_` and 10 base-32 characters: short enough to type into `silence end`. */
export function newSilenceId(): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  return `sil_${[...randomBytes(10)].map((byte) => alphabet[byte % 32]).join("")}`;
}

export function toSilence(item: Item): Silence {
  const text = (name: string) => readString(item, name) ?? "";
  const endedBy = readString(item, "ended_by");
  return {
    id: text("sk"),
    appId: text("app_id"),
    hook: text("hook") as SilenceScope,
    startsAtMs: Date.parse(text("starts_at")),
    endsAtMs: Date.parse(text("ends_at")),
    reason: text("reason"),
    createdBy: text("created_by"),
    createdAtMs: Date.parse(text("created_at")),
    ...(endedBy === undefined ? {} : { endedBy }),
  };
}

/**
 * Checks and stores a new silence; a silence that breaks a rule throws `SilenceRuleError` and nothing is
 * written. It expires (DynamoDB TTL) 30 days after its end.
 */
export async function createSilence(
  table: SilenceTable,
  request: NewSilence,
  nowMs: number,
): Promise<Silence> {
  checkNewSilence(request, nowMs);
  const silence: Silence = {
    id: newSilenceId(),
    appId: request.appId,
    hook: request.hook as SilenceScope,
    startsAtMs: request.startsAtMs,
    endsAtMs: request.endsAtMs as number,
    reason: (request.reason as string).trim(),
    createdBy: request.createdBy.trim(),
    createdAtMs: nowMs,
  };
  await table.client.send(
    new PutItemCommand({
      TableName: table.stateTableName,
      Item: toItem({
        pk: SILENCE_PARTITION,
        sk: silence.id,
        app_id: silence.appId,
        hook: silence.hook,
        starts_at: iso(silence.startsAtMs),
        ends_at: iso(silence.endsAtMs),
        reason: silence.reason,
        created_by: silence.createdBy,
        created_at: iso(nowMs),
        expires_at: expiresAfterDays(silence.endsAtMs, SILENCE_RETENTION_DAYS),
      }),
      // A random id never collides in practice; if it ever did, this refuses rather than overwrite.
      ConditionExpression: "attribute_not_exists(sk)",
    }),
  );
  return silence;
}

/** Every stored silence, strongly consistent: a silence created a moment ago is seen. */
export async function listSilences(table: SilenceTable): Promise<Silence[]> {
  const silences: Silence[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({
        TableName: table.stateTableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: SILENCE_PARTITION } },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    silences.push(...(page.Items ?? []).map(toSilence));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return silences;
}

export type EndOutcome =
  | { readonly kind: "ended"; readonly silence: Silence }
  | { readonly kind: "already-ended"; readonly silence: Silence }
  | { readonly kind: "not-found" };

/**
 * Ends a silence now: its end moves to `nowMs` (the planned end is kept as `planned_ends_at`). Pages it held
 * go out at the next recovery run if their burst is still open. Ending one that has ended changes nothing.
 */
export async function endSilence(
  table: SilenceTable,
  id: string,
  endedBy: string,
  nowMs: number,
): Promise<EndOutcome> {
  try {
    const { Attributes } = await table.client.send(
      new UpdateItemCommand({
        TableName: table.stateTableName,
        Key: { pk: { S: SILENCE_PARTITION }, sk: { S: id } },
        UpdateExpression:
          "SET planned_ends_at = ends_at, ends_at = :now, ended_by = :by, expires_at = :expires",
        ConditionExpression: "attribute_exists(sk) AND ends_at > :now",
        ExpressionAttributeValues: {
          ":now": { S: iso(nowMs) },
          ":by": { S: endedBy },
          ":expires": { N: String(expiresAfterDays(nowMs, SILENCE_RETENTION_DAYS)) },
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return { kind: "ended", silence: toSilence(Attributes ?? {}) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.stateTableName,
      Key: { pk: { S: SILENCE_PARTITION }, sk: { S: id } },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? { kind: "not-found" } : { kind: "already-ended", silence: toSilence(Item) };
}
