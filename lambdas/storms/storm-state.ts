import {
  type AttributeValue,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { writeIfConditionHolds } from "../bursts/burst-lifecycle.js";
import type { BurstTables, Group } from "../bursts/burst-record.js";
import { expiresAfterDays, readNumber, readString } from "../runtime/attribute-values.js";
import { STATE_TABLE } from "../runtime/table-model.js";
import {
  iso,
  OPEN_STORM_FLAG,
  STORM_HEAD_SK,
  STORM_PREFIX,
  type StormHead,
  type StormRecord,
  stormAttributes,
  stormPartition,
  toStormRecord,
} from "./storm-record.js";

/** Reading and writing storm items: the head, the storms, and the claims that publish each notice once. */

const stormKey = (storm: StormRecord) => ({
  pk: { S: stormPartition(storm.group) },
  sk: { S: storm.sk },
});

export async function readStormHead(tables: BurstTables, group: Group): Promise<StormHead> {
  const { Item } = await tables.client.send(
    new GetItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: stormPartition(group) }, sk: { S: STORM_HEAD_SK } },
      ConsistentRead: true,
    }),
  );
  const openStormSk = readString(Item, "open_storm_sk");
  return { version: readNumber(Item, "version") ?? 0, ...(openStormSk === undefined ? {} : { openStormSk }) };
}

/** The group's newest storms, newest first. */
export async function listRecentStorms(
  tables: BurstTables,
  group: Group,
  limit: number,
): Promise<StormRecord[]> {
  const { Items = [] } = await tables.client.send(
    new QueryCommand({
      TableName: tables.stateTableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": { S: stormPartition(group) }, ":prefix": { S: STORM_PREFIX } },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return Items.map(toStormRecord);
}

/** Every open storm, from the sparse `open-bursts` index under their own flag: no scan, no burst among them. */
export async function listOpenStorms(tables: BurstTables): Promise<StormRecord[]> {
  const storms: StormRecord[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await tables.client.send(
      new QueryCommand({
        TableName: tables.stateTableName,
        IndexName: STATE_TABLE.openBurstsIndex.name,
        KeyConditionExpression: "open_flag = :flag",
        ExpressionAttributeValues: { ":flag": { S: OPEN_STORM_FLAG } },
        ExclusiveStartKey,
      }),
    );
    storms.push(...(page.Items ?? []).map(toStormRecord));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return storms;
}

/** Opens a storm: the head moves on from the version read and the storm item appears, in one transaction. */
export async function openStorm(tables: BurstTables, storm: StormRecord, head: StormHead): Promise<boolean> {
  const pk = stormPartition(storm.group);
  return writeIfConditionHolds(() =>
    tables.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tables.stateTableName,
              Key: { pk: { S: pk }, sk: { S: STORM_HEAD_SK } },
              UpdateExpression: "SET open_storm_sk = :sk, version = :next",
              ConditionExpression:
                "attribute_not_exists(open_storm_sk) AND (attribute_not_exists(version) OR version = :version)",
              ExpressionAttributeValues: {
                ":sk": { S: storm.sk },
                ":version": { N: String(head.version) },
                ":next": { N: String(head.version + 1) },
              },
            },
          },
          {
            Put: {
              TableName: tables.stateTableName,
              Item: {
                pk: { S: pk },
                sk: { S: storm.sk },
                open_flag: { S: OPEN_STORM_FLAG },
                ...stormAttributes(storm),
                expires_at: { N: String(expiresAfterDays(Date.parse(storm.openedAt), tables.retentionDays)) },
              },
              ConditionExpression: "attribute_not_exists(sk)",
            },
          },
        ],
      }),
    ),
  );
}

export type StormNotice = "warn" | "resolve";
const DONE: Record<StormNotice, string> = { warn: "warned_at", resolve: "resolved_at" };

/** Claims the right to publish a storm's warning or resolve for `leaseMs`; one winner among racers. */
export function claimStormNotice(
  tables: BurstTables,
  storm: StormRecord,
  notice: StormNotice,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  const claim = `${notice}_claim_until`;
  return writeIfConditionHolds(() =>
    tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: stormKey(storm),
        UpdateExpression: `SET ${claim} = :until`,
        ConditionExpression: `attribute_exists(sk) AND attribute_not_exists(${DONE[notice]}) AND (attribute_not_exists(${claim}) OR ${claim} < :now)`,
        ExpressionAttributeValues: { ":until": { N: String(nowMs + leaseMs) }, ":now": { N: String(nowMs) } },
      }),
    ),
  );
}

export async function releaseStormClaim(tables: BurstTables, storm: StormRecord, notice: StormNotice) {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: stormKey(storm),
      UpdateExpression: `REMOVE ${notice}_claim_until`,
    }),
  );
}

export async function markWarned(tables: BurstTables, storm: StormRecord, nowMs: number): Promise<void> {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: stormKey(storm),
      UpdateExpression: "SET warned_at = :at",
      ExpressionAttributeValues: { ":at": { S: iso(nowMs) } },
    }),
  );
}

/** What a storm amounted to when it closes. */
export interface StormSummary {
  readonly lastFailureMs: number;
  readonly responseCount: number;
  readonly countsByReason: Readonly<Record<string, number>>;
}

/** Closes a storm after its resolve went out: it leaves the open index and the head is freed. */
export async function closeStorm(
  tables: BurstTables,
  storm: StormRecord,
  summary: StormSummary,
  nowMs: number,
): Promise<boolean> {
  const pk = stormPartition(storm.group);
  return writeIfConditionHolds(() =>
    tables.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tables.stateTableName,
              Key: { pk: { S: pk }, sk: { S: STORM_HEAD_SK } },
              UpdateExpression: "REMOVE open_storm_sk ADD version :one",
              ConditionExpression: "open_storm_sk = :sk",
              ExpressionAttributeValues: { ":sk": { S: storm.sk }, ":one": { N: "1" } },
            },
          },
          {
            Update: {
              TableName: tables.stateTableName,
              Key: { pk: { S: pk }, sk: { S: storm.sk } },
              UpdateExpression:
                "SET #status = :closed, resolved_at = :at, last_failure_at = :last, response_count = :count, counts_by_reason = :counts REMOVE open_flag",
              ConditionExpression: "#status = :open",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":closed": { S: "closed" },
                ":open": { S: "open" },
                ":at": { S: iso(nowMs) },
                ":last": { S: iso(summary.lastFailureMs) },
                ":count": { N: String(summary.responseCount) },
                ":counts": { S: JSON.stringify(summary.countsByReason) },
              },
            },
          },
        ],
      }),
    ),
  );
}
