import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { expiresAfterDays, type Item, readString } from "../runtime/attribute-values.js";
import {
  type BurstRecord,
  type BurstSummary,
  type BurstTables,
  burstAttributes,
  type GroupHead,
  groupPartition,
  HEAD_SK,
  iso,
  OPEN_FLAG,
} from "./burst-record.js";

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException;
}

/** Sends a conditional write; false when its condition did not hold, any other error thrown. */
export async function writeIfConditionHolds(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** How often a window's opening reads its group again when the head moved under it, before its message is retried. */
export const OPENING_ATTEMPTS = 3;

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
  return (await takeClaim(tables, burst, kind, nowMs, leaseMs)) !== undefined;
}

/** A resolve claim taken, with the end the burst resolves at. */
export interface ResolveClaim {
  readonly endMs: number;
  /** Whether an earlier claim had fixed that end already (its resolve may have gone out). */
  readonly endFixedBefore: boolean;
}

/**
 * Claims a burst's resolve and fixes where it ends: the first claim writes `endMs`, a later one (after a
 * crash or a failed publish) keeps the end already written, so every resolve of a burst says the same.
 * From then on the burst takes no failure later than its end plus the quiet period (`resolveEndMs`).
 */
export async function claimResolve(
  tables: BurstTables,
  burst: BurstRecord,
  endMs: number,
  nowMs: number,
  leaseMs: number,
): Promise<ResolveClaim | undefined> {
  const old = await takeClaim(tables, burst, "resolve", nowMs, leaseMs, endMs);
  if (old === undefined) return undefined;
  const fixed = readString(old, "resolve_end");
  return fixed === undefined
    ? { endMs, endFixedBefore: false }
    : { endMs: Date.parse(fixed), endFixedBefore: true };
}

/** Takes a claim; returns the item as it was before (empty for none), or undefined when the claim is held. */
async function takeClaim(
  tables: BurstTables,
  burst: BurstRecord,
  kind: ClaimKind,
  nowMs: number,
  leaseMs: number,
  resolveEndMs?: number,
): Promise<Item | undefined> {
  const done = kind === "page" ? "paged_at" : "resolved_at";
  const claim = `${kind}_claim_until`;
  // A resolve waits for a reminder being sent: a trigger after the resolve would reopen the incident.
  const noReminder =
    kind === "resolve"
      ? " AND (attribute_not_exists(reminder_claim_until) OR reminder_claim_until < :now)"
      : "";
  // A burst closed while silenced never pages, even for an invocation that read it open.
  const stillOpen = kind === "page" ? " AND attribute_exists(open_flag)" : "";
  const fixEnd = resolveEndMs === undefined ? "" : ", resolve_end = if_not_exists(resolve_end, :end)";
  let old: Item = {};
  const taken = await writeIfConditionHolds(async () => {
    const answer = await tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: { pk: { S: groupPartition(burst.group) }, sk: { S: burst.sk } },
        UpdateExpression: `SET ${claim} = :until${fixEnd}`,
        ConditionExpression: `attribute_exists(sk) AND attribute_not_exists(${done}) AND (attribute_not_exists(${claim}) OR ${claim} < :now)${noReminder}${stillOpen}`,
        ExpressionAttributeValues: {
          ":until": { N: String(nowMs + leaseMs) },
          ":now": { N: String(nowMs) },
          ...(resolveEndMs === undefined ? {} : { ":end": { S: iso(resolveEndMs) } }),
        },
        // The whole item as it was: whether `resolve_end` was there before does not hang on what counts as updated.
        ...(resolveEndMs === undefined ? {} : { ReturnValues: "ALL_OLD" as const }),
      }),
    );
    old = answer.Attributes ?? {};
  });
  return taken ? old : undefined;
}

/**
 * Gives a claim back after a failed publish, so the next attempt need not wait for the lease. A resolve's
 * end stays fixed (the publish may have reached SNS although it failed here), unless `withEnd`: the resolve
 * was called off before anything went out.
 */
export async function releaseClaim(
  tables: BurstTables,
  burst: BurstRecord,
  kind: ClaimKind,
  withEnd = false,
): Promise<void> {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: groupPartition(burst.group) }, sk: { S: burst.sk } },
      UpdateExpression: `REMOVE ${kind}_claim_until${withEnd ? ", resolve_end" : ""}`,
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
