import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { PageSample } from "../pages/burst-page.js";
import { expiresAfterDays, type Item, readNumber, readString, toItem } from "../runtime/attribute-values.js";
import type { Hook } from "../runtime/hooks.js";
import { EVENTS_TABLE, STATE_TABLE } from "../runtime/table-model.js";
import { hookKey, occurredKey } from "../webhook/event-store.js";
import type { FailurePoint } from "./burst-window.js";

/** Where burst state lives: the state table, one partition per app and hook. */
export interface BurstTables {
  readonly client: DynamoDBClient;
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly retentionDays: number;
}

export interface Group {
  readonly appId: string;
  readonly hook: Hook;
}

export const groupPartition = (group: Group) => `GROUP#${group.appId}#${group.hook}`;
const BURST_PREFIX = "BURST#";
/** A burst's sort key: its window start, so a group's bursts sort by time. */
export const burstSk = (windowStartMs: number) => `${BURST_PREFIX}${new Date(windowStartMs).toISOString()}`;
const HEAD_SK = "HEAD";
const OPEN_FLAG = "OPEN";
/** Candidate entries outlive any window; they only matter until a burst opens or the window passes. */
const CANDIDATE_TTL_DAYS = 2;

export interface BurstRecord {
  readonly group: Group;
  readonly sk: string;
  readonly dedupKey: string;
  readonly status: "open" | "closed";
  readonly delayed: boolean;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly firstFailureMs: number;
  readonly lastFailureMs: number;
  readonly threshold: number;
  readonly windowSeconds: number;
  readonly quietSeconds: number;
  readonly transportCount: number;
  readonly countsByReason: Readonly<Record<string, number>>;
  readonly responseCount: number;
  readonly samples: readonly PageSample[];
  readonly openedAt: string;
  readonly pagedAt?: string;
  readonly resolvedAt?: string;
}

/** The group's head: which burst is open, and a version that every open and close moves on. */
export interface GroupHead {
  readonly version: number;
  readonly openBurstSk?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The last instant whose ISO form still sorts as a string: year 9999. */
const FAR_FUTURE_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** Reads a burst item of the state table; exported for the CLI. */
export function toBurstRecord(item: Item): BurstRecord {
  const text = (name: string) => readString(item, name) ?? "";
  const number = (name: string) => readNumber(item, name) ?? 0;
  const [appId, hook] = text("pk")
    .replace(/^GROUP#/, "")
    .split(/#(?=[^#]+$)/) as [string, Hook];
  const pagedAt = readString(item, "paged_at");
  const resolvedAt = readString(item, "resolved_at");
  return {
    group: { appId, hook },
    sk: text("sk"),
    dedupKey: text("dedup_key"),
    status: text("status") === "open" ? "open" : "closed",
    delayed: text("delayed") === "true",
    windowStartMs: Date.parse(text("window_start")),
    windowEndMs: Date.parse(text("window_end")),
    firstFailureMs: Date.parse(text("first_failure_at")),
    lastFailureMs: Date.parse(text("last_failure_at")),
    threshold: number("threshold"),
    windowSeconds: number("window_seconds"),
    quietSeconds: number("quiet_seconds"),
    transportCount: number("transport_count"),
    countsByReason: JSON.parse(readString(item, "counts_by_reason") ?? "{}") as Record<string, number>,
    responseCount: number("response_count"),
    samples: JSON.parse(readString(item, "sample_events") ?? "[]") as PageSample[],
    openedAt: text("opened_at"),
    ...(pagedAt === undefined ? {} : { pagedAt }),
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
  };
}

function burstAttributes(burst: BurstRecord): Item {
  return toItem({
    dedup_key: burst.dedupKey,
    app_id: burst.group.appId,
    hook: burst.group.hook,
    status: burst.status,
    delayed: burst.delayed ? "true" : "false",
    window_start: iso(burst.windowStartMs),
    window_end: iso(burst.windowEndMs),
    first_failure_at: iso(burst.firstFailureMs),
    last_failure_at: iso(burst.lastFailureMs),
    threshold: burst.threshold,
    window_seconds: burst.windowSeconds,
    quiet_seconds: burst.quietSeconds,
    transport_count: burst.transportCount,
    counts_by_reason: JSON.stringify(burst.countsByReason),
    response_count: burst.responseCount,
    sample_events: JSON.stringify(burst.samples),
    opened_at: burst.openedAt,
  });
}

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
  let ExclusiveStartKey: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
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

const candidateSk = (bucketMs: number) => `CAND#${iso(bucketMs)}`;
const encodeCandidate = (failure: FailurePoint) => `${failure.t}|${failure.reason}|${failure.key}`;

function decodeCandidate(entry: string): FailurePoint | undefined {
  const [t, reason, ...key] = entry.split("|");
  if (t === undefined || reason === undefined || key.length === 0) return undefined;
  return { t: Number(t), reason, key: key.join("|") };
}

/**
 * Adds a failure to its window-sized bucket. A string-set ADD is idempotent, so redelivery never
 * counts twice; only failures outside any burst come here, which keeps each bucket item small.
 */
export async function addCandidate(
  tables: BurstTables,
  group: Group,
  bucketMs: number,
  failure: FailurePoint,
  nowMs: number,
): Promise<void> {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: groupPartition(group) }, sk: { S: candidateSk(bucketMs) } },
      UpdateExpression: "ADD entries :entry SET expires_at = :expires",
      ExpressionAttributeValues: {
        ":entry": { SS: [encodeCandidate(failure)] },
        ":expires": { N: String(expiresAfterDays(nowMs, CANDIDATE_TTL_DAYS)) },
      },
    }),
  );
}

/** Candidates of the buckets from `fromBucketMs` to `toBucketMs`, read strongly consistent. */
export async function readCandidates(
  tables: BurstTables,
  group: Group,
  fromBucketMs: number,
  toBucketMs: number,
): Promise<FailurePoint[]> {
  const { Items = [] } = await tables.client.send(
    new QueryCommand({
      TableName: tables.stateTableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: {
        ":pk": { S: groupPartition(group) },
        ":from": { S: candidateSk(fromBucketMs) },
        ":to": { S: candidateSk(toBucketMs) },
      },
      ConsistentRead: true,
    }),
  );
  return Items.flatMap((item) => item.entries?.SS ?? []).flatMap((entry) => decodeCandidate(entry) ?? []);
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException;
}

/** Sends a conditional write; false when its condition did not hold, any other error thrown. */
async function writeIfConditionHolds(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Opens a burst: the head moves from the version the caller read to the next one, and the burst
 * item appears, in one transaction. Of any number of racing openers exactly one succeeds.
 */
export async function openBurst(tables: BurstTables, burst: BurstRecord, head: GroupHead): Promise<boolean> {
  const pk = groupPartition(burst.group);
  return writeIfConditionHolds(() =>
    tables.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tables.stateTableName,
              Key: { pk: { S: pk }, sk: { S: HEAD_SK } },
              UpdateExpression: "SET open_burst_sk = :sk, version = :next",
              ConditionExpression:
                "attribute_not_exists(open_burst_sk) AND (attribute_not_exists(version) OR version = :version)",
              ExpressionAttributeValues: {
                ":sk": { S: burst.sk },
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
                sk: { S: burst.sk },
                open_flag: { S: OPEN_FLAG },
                ...burstAttributes(burst),
                expires_at: { N: String(expiresAfterDays(Date.parse(burst.openedAt), tables.retentionDays)) },
              },
              ConditionExpression: "attribute_not_exists(sk)",
            },
          },
        ],
      }),
    ),
  );
}

export type ClaimKind = "page" | "resolve";

/**
 * Claims the right to publish a burst's page or resolve for `leaseMs`. Racing invocations see one
 * winner; a claim left by a crash expires, so a retry or the schedule can publish after all.
 */
export async function claimPublish(
  tables: BurstTables,
  burst: BurstRecord,
  kind: ClaimKind,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  const done = kind === "page" ? "paged_at" : "resolved_at";
  const claim = `${kind}_claim_until`;
  return writeIfConditionHolds(() =>
    tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: { pk: { S: groupPartition(burst.group) }, sk: { S: burst.sk } },
        UpdateExpression: `SET ${claim} = :until`,
        ConditionExpression: `attribute_exists(sk) AND attribute_not_exists(${done}) AND (attribute_not_exists(${claim}) OR ${claim} < :now)`,
        ExpressionAttributeValues: { ":until": { N: String(nowMs + leaseMs) }, ":now": { N: String(nowMs) } },
      }),
    ),
  );
}

/** Gives a claim back after a failed publish, so the next attempt need not wait for the lease. */
export async function releaseClaim(tables: BurstTables, burst: BurstRecord, kind: ClaimKind): Promise<void> {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: groupPartition(burst.group) }, sk: { S: burst.sk } },
      UpdateExpression: `REMOVE ${kind}_claim_until`,
    }),
  );
}

export async function markPaged(tables: BurstTables, burst: BurstRecord, nowMs: number): Promise<void> {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: groupPartition(burst.group) }, sk: { S: burst.sk } },
      UpdateExpression: "SET paged_at = :at",
      ExpressionAttributeValues: { ":at": { S: iso(nowMs) } },
    }),
  );
}

/** What a burst amounted to when it closes. */
export interface BurstSummary {
  readonly lastFailureMs: number;
  readonly transportCount: number;
  readonly countsByReason: Readonly<Record<string, number>>;
  readonly responseCount: number;
}

/**
 * Closes a burst after its resolve went out: the burst leaves the open index and the head is
 * freed (and moves on a version), in one transaction. Closing twice is a no-op.
 */
export async function closeBurst(
  tables: BurstTables,
  burst: BurstRecord,
  summary: BurstSummary,
  nowMs: number,
): Promise<boolean> {
  const pk = groupPartition(burst.group);
  return writeIfConditionHolds(() =>
    tables.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tables.stateTableName,
              Key: { pk: { S: pk }, sk: { S: HEAD_SK } },
              UpdateExpression: "REMOVE open_burst_sk ADD version :one",
              ConditionExpression: "open_burst_sk = :sk",
              ExpressionAttributeValues: { ":sk": { S: burst.sk }, ":one": { N: "1" } },
            },
          },
          {
            Update: {
              TableName: tables.stateTableName,
              Key: { pk: { S: pk }, sk: { S: burst.sk } },
              UpdateExpression:
                "SET #status = :closed, resolved_at = :at, last_failure_at = :last, transport_count = :transport, counts_by_reason = :counts, response_count = :response REMOVE open_flag",
              ConditionExpression: "#status = :open",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":closed": { S: "closed" },
                ":open": { S: "open" },
                ":at": { S: iso(nowMs) },
                ":last": { S: iso(summary.lastFailureMs) },
                ":transport": { N: String(summary.transportCount) },
                ":counts": { S: JSON.stringify(summary.countsByReason) },
                ":response": { N: String(summary.responseCount) },
              },
            },
          },
        ],
      }),
    ),
  );
}

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
export async function latestTransportFailure(tables: BurstTables, group: Group): Promise<number | undefined> {
  for await (const row of readIndexRange(tables, group, "transport", 0, FAR_FUTURE_MS, true)) return row.t;
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
