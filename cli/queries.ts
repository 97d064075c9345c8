import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { listOpenBursts } from "../lambdas/bursts/burst-queries.js";
import {
  type BurstRecord,
  type BurstTables,
  groupPartition,
  toBurstRecord,
} from "../lambdas/bursts/burst-record.js";
import { latestTransportFailure } from "../lambdas/bursts/failure-index.js";
import type { Item } from "../lambdas/runtime/attribute-values.js";
import type { Hook } from "../lambdas/runtime/hooks.js";
import { EVENTS_TABLE } from "../lambdas/runtime/table-model.js";
import type { StormRecord } from "../lambdas/storms/storm-record.js";
import { listOpenStorms, listRecentStorms } from "../lambdas/storms/storm-state.js";
import { hookKey, occurredKey } from "../lambdas/webhook/event-store.js";
import { classifyReason, type ReasonClass } from "../lambdas/webhook/event-validation.js";
import { utcDaysBetween } from "./time.js";

/** The two tables, for reading. */
export interface ReadTables {
  readonly client: DynamoDBClient;
  readonly eventsTableName: string;
  readonly stateTableName: string;
}

/** Reports paging through results ("reading events: 3 pages, 2,400 items"); a no-op unless stderr is a terminal. */
export type Progress = (message: string) => void;
const silent: Progress = () => {};

export const REASON_CLASSES: readonly ReasonClass[] = ["transport", "response", "unknown"];

type Plain = string | number | string[] | boolean | null;

/** An item's values as plain JSON (strings, numbers, string sets as arrays), names sorted for a stable shape. */
export function plainItem(item: Item): Record<string, Plain> {
  return Object.fromEntries(
    Object.entries(item)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]): [string, Plain] => [name, plainValue(value)]),
  );
}

function plainValue(value: AttributeValue): Plain {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.SS !== undefined) return value.SS;
  if (value.BOOL !== undefined) return value.BOOL;
  return null;
}

/** Pages through one query, lazily, in the order the query asks for. */
class QueryCursor {
  private buffer: Item[] = [];
  private startKey: QueryCommandInput["ExclusiveStartKey"];
  private exhausted = false;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly input: QueryCommandInput,
    private readonly onPage: (items: number) => void,
  ) {}

  async peek(): Promise<Item | undefined> {
    while (this.buffer.length === 0 && !this.exhausted) {
      const page = await this.client.send(
        new QueryCommand({ ...this.input, ExclusiveStartKey: this.startKey }),
      );
      this.buffer = page.Items ?? [];
      this.startKey = page.LastEvaluatedKey;
      this.exhausted = page.LastEvaluatedKey === undefined;
      this.onPage(this.buffer.length);
    }
    return this.buffer[0];
  }

  take(): Item | undefined {
    return this.buffer.shift();
  }
}

/** The newest `limit` items of several newest-first cursors, by a sort key, reading no page more than needed. */
async function mergeNewestFirst(
  cursors: readonly QueryCursor[],
  sortKey: (item: Item) => string,
  limit: number,
): Promise<Item[]> {
  const merged: Item[] = [];
  while (merged.length < limit) {
    const heads = await Promise.all(cursors.map((cursor) => cursor.peek()));
    let newest = -1;
    heads.forEach((head, index) => {
      const current = heads[newest];
      if (head !== undefined && (current === undefined || sortKey(head) > sortKey(current))) newest = index;
    });
    const cursor = cursors[newest];
    if (cursor === undefined) break;
    const item = cursor.take();
    if (item !== undefined) merged.push(item);
  }
  return merged;
}

function pageCounter(progress: Progress, what: string): (items: number) => void {
  let pages = 0;
  let total = 0;
  return (items) => {
    pages++;
    total += items;
    progress(
      `reading ${what}: ${pages} ${pages === 1 ? "page" : "pages"}, ${total.toLocaleString("en")} items`,
    );
  };
}

/** One stored event as lists show it: what the `by-hook` index projects, no fetch of the item. */
export interface EventRow {
  readonly dispatch_id: string;
  /** Where the key came from: `dispatch_id`, else `event_id` (the envelope's), else `content_hash`. */
  readonly key_source: string | null;
  readonly type: string | null;
  readonly hook: string | null;
  readonly app_id: string | null;
  readonly reason: string | null;
  readonly reason_class: string | null;
  /** The time events are ordered by: `occurred_at`, or the arrival when Prelude sent no valid time. ISO. */
  readonly time: string;
  readonly occurred_at: string | null;
  readonly received_at: string | null;
  readonly correlation_id: string | null;
  readonly user_id: string | null;
  readonly session_id: string | null;
  readonly scope: string | null;
}

const text = (item: Item, name: string): string | null => item[name]?.S ?? null;

function toEventRow(item: Item): EventRow {
  const sortKey = text(item, EVENTS_TABLE.byHookIndex.sortKey) ?? "";
  return {
    dispatch_id: text(item, EVENTS_TABLE.partitionKey) ?? "",
    key_source: text(item, "key_source"),
    type: text(item, "type"),
    hook: text(item, "hook"),
    app_id: text(item, "app_id"),
    reason: text(item, "reason"),
    reason_class: text(item, "reason_class"),
    time: sortKey.slice(0, sortKey.indexOf("#")),
    occurred_at: text(item, "occurred_at"),
    received_at: text(item, "received_at"),
    correlation_id: text(item, "correlation_id"),
    user_id: text(item, "user_id"),
    session_id: text(item, "session_id"),
    scope: text(item, "scope"),
  };
}

export interface EventQuery {
  readonly appIds: readonly string[];
  readonly hooks: readonly Hook[];
  /** A `reason` value; only its partition of each hook is read, with a filter on the value. */
  readonly reason?: string;
  /** A reason class; only that partition of each hook is read. */
  readonly reasonClass?: ReasonClass;
  readonly sinceMs?: number;
  readonly limit: number;
}

/**
 * The newest events, newest first, without a scan: one query per `by-hook` partition
 * (app × hook × reason class), merged by the index's sort key.
 */
export async function listEvents(
  tables: ReadTables,
  query: EventQuery,
  progress: Progress = silent,
): Promise<EventRow[]> {
  const index = EVENTS_TABLE.byHookIndex;
  const onPage = pageCounter(progress, "events");
  const cursors = query.appIds.flatMap((appId) =>
    query.hooks.flatMap((hook) => {
      const classes =
        query.reasonClass !== undefined
          ? [query.reasonClass]
          : query.reason !== undefined
            ? [classifyReason(hook, query.reason)]
            : REASON_CLASSES;
      return classes.map((reasonClass) => {
        const values: Record<string, AttributeValue> = { ":pk": { S: hookKey(appId, hook, reasonClass) } };
        let condition = "#pk = :pk";
        if (query.sinceMs !== undefined) {
          condition += " AND #sk >= :since";
          values[":since"] = { S: occurredKey(query.sinceMs, "") };
        }
        if (query.reason !== undefined) values[":reason"] = { S: query.reason };
        return new QueryCursor(
          tables.client,
          {
            TableName: tables.eventsTableName,
            IndexName: index.name,
            KeyConditionExpression: condition,
            ...(query.reason === undefined ? {} : { FilterExpression: "reason = :reason" }),
            ExpressionAttributeNames: {
              "#pk": index.partitionKey,
              ...(query.sinceMs === undefined ? {} : { "#sk": index.sortKey }),
            },
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // A filter makes DynamoDB evaluate more items than it returns: read bigger pages then.
            Limit: query.reason === undefined ? Math.min(query.limit, 500) : 500,
          },
          onPage,
        );
      });
    }),
  );
  const items = await mergeNewestFirst(cursors, (item) => text(item, index.sortKey) ?? "", query.limit);
  return items.map(toEventRow);
}

/** One stored event, every attribute, or undefined when no event has that key. */
export async function readStoredEvent(
  tables: ReadTables,
  key: string,
): Promise<Record<string, Plain> | undefined> {
  const { Item } = await tables.client.send(
    new GetItemCommand({
      TableName: tables.eventsTableName,
      Key: { [EVENTS_TABLE.partitionKey]: { S: key } },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : plainItem(Item);
}

/** Conflicts are kept per day of the later delivery; a month covers the events' default retention. */
const MAX_CONFLICT_DAYS = 31;

/** Deliveries of the same key with other content, recorded from `fromMs` to `toMs`. */
export async function listConflicts(
  tables: ReadTables,
  key: string,
  fromMs: number,
  toMs: number,
): Promise<Record<string, Plain>[]> {
  const days = utcDaysBetween(Math.max(fromMs, toMs - MAX_CONFLICT_DAYS * 86_400_000), toMs);
  const pages = await Promise.all(
    days.map((day) =>
      queryAll(tables.client, {
        TableName: tables.stateTableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :key)",
        ExpressionAttributeValues: {
          ":pk": { S: intakePartition("conflicts", day) },
          ":key": { S: `${key}#` },
        },
      }),
    ),
  );
  return pages.flat().map(plainItem);
}

async function queryAll(
  client: DynamoDBClient,
  input: QueryCommandInput,
  onPage: (items: number) => void = () => {},
): Promise<Item[]> {
  const items: Item[] = [];
  await forEachPage(client, input, (page) => {
    items.push(...(page.Items ?? []));
    onPage(page.Items?.length ?? 0);
  });
  return items;
}

/** Runs a query to its last page, handing each page to `visit`. */
async function forEachPage(
  client: DynamoDBClient,
  input: QueryCommandInput,
  visit: (page: QueryCommandOutput) => void,
): Promise<void> {
  let ExclusiveStartKey: QueryCommandInput["ExclusiveStartKey"];
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    visit(page);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/** A burst as the CLI shows it: its stored record, and for an open burst its newest transport failure so far. */
export interface BurstView {
  readonly record: BurstRecord;
  /** Epoch ms; only for open bursts, read from the `by-hook` index (the record holds the value at opening). */
  readonly latestFailureMs?: number;
}

/** Read-only use of the burst module: nothing here writes, so no retention applies. */
const burstTables = (tables: ReadTables): BurstTables => ({ ...tables, retentionDays: 0 });

async function withLatestFailure(tables: ReadTables, record: BurstRecord): Promise<BurstView> {
  if (record.status !== "open") return { record };
  const latest = await latestTransportFailure(burstTables(tables), record.group);
  return { record, latestFailureMs: Math.max(latest ?? 0, record.lastFailureMs) };
}

/** Open bursts, from the sparse `open-bursts` index, newest window first. */
export async function listOpenBurstViews(tables: ReadTables): Promise<BurstView[]> {
  const open = await listOpenBursts(burstTables(tables));
  open.sort((a, b) => b.windowStartMs - a.windowStartMs);
  return Promise.all(open.map((record) => withLatestFailure(tables, record)));
}

export interface BurstQuery {
  readonly appIds: readonly string[];
  readonly hooks: readonly Hook[];
  /** Bursts still open, or that ended (last failure or resolve) at or after this time. */
  readonly sinceMs?: number;
  readonly limit: number;
}

/** Bursts of the known apps and hooks, newest window first, from each group's partition of the state table. */
export async function listBursts(
  tables: ReadTables,
  query: BurstQuery,
  progress: Progress = silent,
): Promise<BurstView[]> {
  const onPage = pageCounter(progress, "bursts");
  const groups = query.appIds.flatMap((appId) => query.hooks.map((hook) => ({ appId, hook })));
  const perGroup = await Promise.all(
    groups.map(async (group) => {
      const cursor = new QueryCursor(
        tables.client,
        {
          TableName: tables.stateTableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": { S: groupPartition(group) }, ":prefix": { S: "BURST#" } },
          ScanIndexForward: false,
          Limit: Math.min(query.limit, 100),
        },
        onPage,
      );
      const found: BurstRecord[] = [];
      while (found.length < query.limit) {
        const item = await cursor.peek();
        if (item === undefined) break;
        cursor.take();
        const record = toBurstRecord(item);
        // A group's bursts never overlap: once one ended before `since`, every older one did too.
        if (query.sinceMs !== undefined && record.status === "closed" && endOf(record) < query.sinceMs) break;
        found.push(record);
      }
      return found;
    }),
  );
  const newest = perGroup
    .flat()
    .sort((a, b) => b.windowStartMs - a.windowStartMs)
    .slice(0, query.limit);
  return Promise.all(newest.map((record) => withLatestFailure(tables, record)));
}

/** Open response storms (warnings), from the `open-bursts` index under their own flag, newest window first. */
export async function listOpenStormRecords(tables: ReadTables): Promise<StormRecord[]> {
  const open = await listOpenStorms(burstTables(tables));
  return open.sort((a, b) => b.windowStartMs - a.windowStartMs);
}

/** Response storms of the known apps and hooks, newest window first, from each group's storm partition. */
export async function listStormRecords(tables: ReadTables, query: BurstQuery): Promise<StormRecord[]> {
  const groups = query.appIds.flatMap((appId) => query.hooks.map((hook) => ({ appId, hook })));
  const perGroup = await Promise.all(
    groups.map((group) => listRecentStorms(burstTables(tables), group, Math.min(query.limit, 100))),
  );
  const ended = (storm: StormRecord) =>
    Math.max(storm.lastFailureMs, storm.resolvedAt === undefined ? 0 : Date.parse(storm.resolvedAt));
  return perGroup
    .flat()
    .filter(
      (storm) => query.sinceMs === undefined || storm.status === "open" || ended(storm) >= query.sinceMs,
    )
    .sort((a, b) => b.windowStartMs - a.windowStartMs)
    .slice(0, query.limit);
}

function endOf(record: BurstRecord): number {
  const resolved = record.resolvedAt === undefined ? 0 : Date.parse(record.resolvedAt);
  return Math.max(record.lastFailureMs, resolved);
}

export type IntakeKind = "rejected" | "quarantined" | "conflicts";
const INTAKE_PARTITION: Record<IntakeKind, string> = {
  rejected: "REJECTED",
  quarantined: "QUARANTINE",
  conflicts: "CONFLICT",
};
const intakePartition = (kind: IntakeKind, day: string) => `${INTAKE_PARTITION[kind]}#${day}`;

/**
 * A rejected, quarantined or conflict record: the state table item's values (`raw` included for
 * quarantine and conflicts), without its keys and TTL.
 */
export type IntakeRow = Record<string, Plain> & { readonly received_at: string; readonly reason: string };

/**
 * One day partition's records that arrived from `sinceMs` on. Rejected and quarantined records have a
 * range key that starts with the arrival time; a conflict's range key is its event key, so conflicts
 * are filtered by arrival time instead.
 */
function intakeQuery(tables: ReadTables, kind: IntakeKind, day: string, sinceMs: number): QueryCommandInput {
  const byArrival = kind !== "conflicts";
  return {
    TableName: tables.stateTableName,
    KeyConditionExpression: byArrival ? "pk = :pk AND sk >= :since" : "pk = :pk",
    ...(byArrival ? {} : { FilterExpression: "received_at >= :since" }),
    ExpressionAttributeValues: {
      ":pk": { S: intakePartition(kind, day) },
      ":since": { S: new Date(sinceMs).toISOString() },
    },
  };
}

function toIntakeRow(item: Item): IntakeRow {
  const { pk: _pk, sk: _sk, expires_at: _expires, ...values } = plainItem(item);
  return { ...values, received_at: text(item, "received_at") ?? "", reason: text(item, "reason") ?? "" };
}

/**
 * Records of one kind from `sinceMs` to `nowMs`, newest first by arrival, one UTC day partition
 * (`REJECTED#<day>`, `QUARANTINE#<day>`, `CONFLICT#<day>`) at a time. Rejected and quarantined
 * partitions are merged by their range key, reading no more than the limit needs. Conflicts are rare
 * and not sorted by time: each day is read whole and sorted, newest day first, stopping once the days
 * read hold the limit (an older day cannot hold a newer record).
 */
export async function listIntakeRecords(
  tables: ReadTables,
  kind: IntakeKind,
  range: { sinceMs: number; nowMs: number; limit: number },
  progress: Progress = silent,
): Promise<IntakeRow[]> {
  const onPage = pageCounter(progress, `${kind} records`);
  const days = utcDaysBetween(range.sinceMs, range.nowMs).reverse();
  if (kind === "conflicts") {
    const rows: IntakeRow[] = [];
    for (const day of days) {
      const items = await queryAll(tables.client, intakeQuery(tables, kind, day, range.sinceMs), onPage);
      rows.push(...items.map(toIntakeRow).sort((a, b) => b.received_at.localeCompare(a.received_at)));
      if (rows.length >= range.limit) break;
    }
    return rows.slice(0, range.limit);
  }
  const cursors = days.map(
    (day) =>
      new QueryCursor(
        tables.client,
        {
          ...intakeQuery(tables, kind, day, range.sinceMs),
          ScanIndexForward: false,
          Limit: Math.min(range.limit, 200),
        },
        onPage,
      ),
  );
  const items = await mergeNewestFirst(cursors, (item) => text(item, "sk") ?? "", range.limit);
  return items.map(toIntakeRow);
}

/** How many records of one kind arrived from `sinceMs` to `nowMs` (a count query per day partition). */
export async function countIntakeRecords(
  tables: ReadTables,
  kind: IntakeKind,
  sinceMs: number,
  nowMs: number,
): Promise<number> {
  const counts = await Promise.all(
    utcDaysBetween(sinceMs, nowMs).map(async (day) => {
      let count = 0;
      await forEachPage(
        tables.client,
        { ...intakeQuery(tables, kind, day, sinceMs), Select: "COUNT" },
        (page) => {
          count += page.Count ?? 0;
        },
      );
      return count;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

export interface ReasonCount {
  readonly app_id: string;
  readonly hook: Hook;
  readonly reason_class: ReasonClass;
  readonly reason: string;
  readonly count: number;
}

/** Events since `sinceMs` by app, hook, reason class and reason: each `by-hook` partition read from `since` on. */
export async function countEventsByReason(
  tables: ReadTables,
  query: { appIds: readonly string[]; hooks: readonly Hook[]; sinceMs: number },
  progress: Progress = silent,
): Promise<ReasonCount[]> {
  const index = EVENTS_TABLE.byHookIndex;
  const onPage = pageCounter(progress, "events of the last hour");
  const partitions = query.appIds.flatMap((appId) =>
    query.hooks.flatMap((hook) => REASON_CLASSES.map((reasonClass) => ({ appId, hook, reasonClass }))),
  );
  const counted = await Promise.all(
    partitions.map(async ({ appId, hook, reasonClass }) => {
      const items = await queryAll(
        tables.client,
        {
          TableName: tables.eventsTableName,
          IndexName: index.name,
          KeyConditionExpression: "#pk = :pk AND #sk >= :since",
          ExpressionAttributeNames: { "#pk": index.partitionKey, "#sk": index.sortKey, "#reason": "reason" },
          ExpressionAttributeValues: {
            ":pk": { S: hookKey(appId, hook, reasonClass) },
            ":since": { S: occurredKey(query.sinceMs, "") },
          },
          ProjectionExpression: "#reason",
        },
        onPage,
      );
      const byReason = new Map<string, number>();
      for (const item of items) {
        const reason = text(item, "reason") ?? "(none)";
        byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
      }
      return [...byReason].map(([reason, count]) => ({
        app_id: appId,
        hook,
        reason_class: reasonClass,
        reason,
        count,
      }));
    }),
  );
  return counted.flat();
}
