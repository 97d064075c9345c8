import { BatchGetItemCommand, QueryCommand, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import type { PageSample } from "../pages/burst-page.js";
import { type Item, readString } from "../runtime/attribute-values.js";
import type { Hook } from "../runtime/hooks.js";
import { EVENTS_TABLE } from "../runtime/table-model.js";
import { hookKey, occurredKey } from "../webhook/event-store.js";
import type { BurstSummary, BurstTables, Group } from "./burst-record.js";

/**
 * What bursts read back from the events themselves, through the events table's `by-hook` index: the
 * newest failure, where a run ends, counts by reason, and sample events. Nothing here writes.
 */

/** The last instant whose ISO form still sorts as a string: year 9999. */
const FAR_FUTURE_MS = Date.parse("9999-12-31T23:59:59.999Z");

type IndexRow = { t: number; reason: string; key: string; item: Item };

/** Reads one hook's events of one reason class from the `by-hook` index, oldest first, within a time range. */
async function* readIndexRange(
  tables: BurstTables,
  group: Group,
  reasonClass: "transport" | "response",
  fromMs: number,
  toMs: number,
  descending = false,
): AsyncGenerator<IndexRow> {
  const index = EVENTS_TABLE.byHookIndex;
  let ExclusiveStartKey: QueryCommandInput["ExclusiveStartKey"];
  do {
    const page = await tables.client.send(
      new QueryCommand({
        TableName: tables.eventsTableName,
        IndexName: index.name,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#pk": index.partitionKey, "#sk": index.sortKey },
        ExpressionAttributeValues: {
          ":pk": { S: hookKey(group.appId, group.hook, reasonClass) },
          ":from": { S: occurredKey(fromMs, "") },
          ":to": { S: occurredKey(toMs, "\uffff") },
        },
        ScanIndexForward: !descending,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const sortKey = readString(item, index.sortKey) ?? "";
      const separator = sortKey.indexOf("#");
      yield {
        t: Date.parse(sortKey.slice(0, separator)),
        reason: readString(item, "reason") ?? "unknown",
        key: sortKey.slice(separator + 1),
        item,
      };
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/** The newest transport failure of a group, from the index: what the quiet period is measured from. */
export function latestTransportFailure(tables: BurstTables, group: Group): Promise<number | undefined> {
  return latestFailure(tables, group, "transport");
}

/** The newest failure of a group in one reason class, from the index. */
export async function latestFailure(
  tables: BurstTables,
  group: Group,
  reasonClass: "transport" | "response",
): Promise<number | undefined> {
  for await (const row of readIndexRange(tables, group, reasonClass, 0, FAR_FUTURE_MS, true)) return row.t;
  return undefined;
}

/**
 * Where a burst's run of transport failures ends: the last failure from `startMs` on before a gap
 * longer than the quiet period. Used for bursts detected late, whose failures are all in the past.
 */
export async function findBurstEnd(
  tables: BurstTables,
  group: Group,
  startMs: number,
  quietMs: number,
  atLeastMs: number,
): Promise<number> {
  let last = Math.max(startMs, atLeastMs);
  for await (const row of readIndexRange(tables, group, "transport", startMs, FAR_FUTURE_MS)) {
    if (row.t > last + quietMs) break;
    last = Math.max(last, row.t);
  }
  return last;
}

/**
 * Counts a burst from the events themselves, transport and response-level, from `startMs` to
 * `endMs`. No counter is written per event, so a burst of any size writes no item more than a few times.
 */
export async function summarizeBurst(
  tables: BurstTables,
  group: Group,
  startMs: number,
  endMs: number,
): Promise<BurstSummary> {
  const [transport, response] = await Promise.all([
    countByReason(tables, group, "transport", startMs, endMs),
    countResponseFailures(tables, group, startMs, endMs),
  ]);
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    lastFailureMs: endMs,
    transportCount: total(transport),
    countsByReason: { ...transport, ...response },
    responseCount: total(response),
  };
}

/** Response-level failures of a group within a window: mentioned in a page, never paged. */
export function countResponseFailures(
  tables: BurstTables,
  group: Group,
  fromMs: number,
  toMs: number,
): Promise<Record<string, number>> {
  return countByReason(tables, group, "response", fromMs, toMs);
}

/** A group's events of one reason class within a time range, counted by reason, from the `by-hook` index. */
async function countByReason(
  tables: BurstTables,
  group: Group,
  reasonClass: "transport" | "response",
  fromMs: number,
  toMs: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const row of readIndexRange(tables, group, reasonClass, fromMs, toMs)) {
    counts[row.reason] = (counts[row.reason] ?? 0) + 1;
  }
  return counts;
}

/** Sample events for a page, read from the events table by key. */
export async function readSamples(
  tables: BurstTables,
  keys: readonly string[],
  hook: Hook,
): Promise<PageSample[]> {
  if (keys.length === 0) return [];
  const { Responses } = await tables.client.send(
    new BatchGetItemCommand({
      RequestItems: {
        [tables.eventsTableName]: {
          Keys: keys.map((key) => ({ [EVENTS_TABLE.partitionKey]: { S: key } })),
          ConsistentRead: true,
        },
      },
    }),
  );
  const items = new Map(
    (Responses?.[tables.eventsTableName] ?? []).map((item) => [
      readString(item, EVENTS_TABLE.partitionKey),
      item,
    ]),
  );
  return keys.flatMap((key): PageSample[] => {
    const item = items.get(key);
    if (!item) return [];
    const field = (name: string) => {
      const value = readString(item, name);
      return value === undefined ? {} : { [name]: value };
    };
    return [
      {
        key,
        reason: readString(item, "reason") ?? "unknown",
        occurred_at: readString(item, "occurred_at") ?? "",
        ...(readString(item, "key_source") === "dispatch_id" ? { dispatch_id: key } : {}),
        ...field("correlation_id"),
        ...(hook === "step-up" ? { ...field("user_id"), ...field("session_id"), ...field("scope") } : {}),
      },
    ];
  });
}
