import { type AttributeValue, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { readNumber, readString } from "../runtime/attribute-values.js";
import { STATE_TABLE } from "../runtime/table-model.js";
import {
  BURST_PREFIX,
  type BurstRecord,
  type BurstTables,
  burstSk,
  type Group,
  type GroupHead,
  groupPartition,
  HEAD_SK,
  OPEN_FLAG,
  toBurstRecord,
} from "./burst-record.js";

export async function readGroupHead(tables: BurstTables, group: Group): Promise<GroupHead> {
  const { Item } = await tables.client.send(
    new GetItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: groupPartition(group) }, sk: { S: HEAD_SK } },
      ConsistentRead: true,
    }),
  );
  const openBurstSk = readString(Item, "open_burst_sk");
  return { version: readNumber(Item, "version") ?? 0, ...(openBurstSk === undefined ? {} : { openBurstSk }) };
}

/** How many of a group's newest bursts an invocation reads up front. */
export const RECENT_BURSTS = 20;

/** The group's most recent bursts, newest first: every burst a live failure can belong to. */
export function listRecentBursts(tables: BurstTables, group: Group): Promise<BurstRecord[]> {
  return queryBursts(tables, group, { limit: RECENT_BURSTS });
}

/**
 * The group's `limit` latest bursts whose window starts at or before `latestStartMs`, newest first:
 * how a failure older than every recent burst finds the old burst it belongs to.
 */
export function listBurstsStartingBy(
  tables: BurstTables,
  group: Group,
  latestStartMs: number,
  limit: number,
): Promise<BurstRecord[]> {
  return queryBursts(tables, group, { limit, latestSk: burstSk(latestStartMs) });
}

async function queryBursts(
  tables: BurstTables,
  group: Group,
  { limit, latestSk }: { limit: number; latestSk?: string },
): Promise<BurstRecord[]> {
  const { Items = [] } = await tables.client.send(
    new QueryCommand({
      TableName: tables.stateTableName,
      KeyConditionExpression:
        latestSk === undefined
          ? "pk = :pk AND begins_with(sk, :prefix)"
          : "pk = :pk AND sk BETWEEN :prefix AND :latest",
      ExpressionAttributeValues: {
        ":pk": { S: groupPartition(group) },
        ":prefix": { S: BURST_PREFIX },
        ...(latestSk === undefined ? {} : { ":latest": { S: latestSk } }),
      },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return Items.map(toBurstRecord);
}

export async function readBurst(
  tables: BurstTables,
  group: Group,
  sk: string,
): Promise<BurstRecord | undefined> {
  const { Item } = await tables.client.send(
    new GetItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: groupPartition(group) }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : toBurstRecord(Item);
}

/** Every open burst, from the sparse `open-bursts` index: the recovery schedule never scans. */
export async function listOpenBursts(tables: BurstTables): Promise<BurstRecord[]> {
  const bursts: BurstRecord[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await tables.client.send(
      new QueryCommand({
        TableName: tables.stateTableName,
        IndexName: STATE_TABLE.openBurstsIndex.name,
        KeyConditionExpression: "open_flag = :open",
        ExpressionAttributeValues: { ":open": { S: OPEN_FLAG } },
        ExclusiveStartKey,
      }),
    );
    bursts.push(...(page.Items ?? []).map(toBurstRecord));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return bursts;
}
