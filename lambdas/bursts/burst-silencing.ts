import {
  ConditionalCheckFailedException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { SilenceLookup } from "../silences/silence-lookup.js";
import type { Silence } from "../silences/silence-record.js";
import {
  type BurstRecord,
  type BurstSilence,
  type BurstSummary,
  type BurstTables,
  groupPartition,
  HEAD_SK,
  iso,
} from "./burst-record.js";

/**
 * How a silence holds a burst's page: the burst is marked with the silence and stays open and counted; its
 * page goes out when the silence ends if the burst is still open, naming the silence; a burst that goes
 * quiet while silenced is closed without a page or a resolve. Once a page is out, its resolve always
 * follows, silence or not, so an incident tool never keeps an incident open.
 */

export interface SilenceDeps {
  readonly tables: BurstTables;
  /** The silences to honour; absent, nothing is silenced. */
  readonly silences?: SilenceLookup;
  /** Told when a silence is first found holding a burst's page (the handlers log it, once per burst and silence). */
  readonly onSilenced?: (burst: BurstRecord, silence: Silence) => void;
}

export function toBurstSilence(silence: Silence): BurstSilence {
  return {
    id: silence.id,
    reason: silence.reason,
    createdBy: silence.createdBy,
    startsAt: iso(silence.startsAtMs),
    endsAt: iso(silence.endsAtMs),
  };
}

// Bursts already marked by each invocation's lookup: a silenced burst's failures cost no write.
const marked = new WeakMap<SilenceLookup, Set<string>>();

/** The silence holding this burst's page now, if any; the burst is marked with it (once per invocation). */
export async function silenceHolding(
  deps: SilenceDeps,
  burst: BurstRecord,
  nowMs: number,
): Promise<Silence | undefined> {
  if (deps.silences === undefined) return undefined;
  const silence = await deps.silences.active(burst.group.appId, burst.group.hook, nowMs);
  if (silence === undefined) return undefined;
  const seen = marked.get(deps.silences) ?? new Set<string>();
  marked.set(deps.silences, seen);
  const key = `${groupPartition(burst.group)}#${burst.sk}#${silence.id}#${silence.endsAtMs}`;
  if (!seen.has(key)) {
    seen.add(key);
    if (burst.silence?.id !== silence.id || burst.silence.endsAt !== iso(silence.endsAtMs)) {
      if (await markSilenced(deps.tables, burst, toBurstSilence(silence))) deps.onSilenced?.(burst, silence);
    }
  }
  return silence;
}

/**
 * The silence a page that goes out now names: the one that held it (as stored now, so an early end shows),
 * or one that covered its group since it opened.
 */
export async function silenceToName(
  deps: SilenceDeps,
  burst: BurstRecord,
  nowMs: number,
): Promise<BurstSilence | undefined> {
  if (burst.silence !== undefined) {
    const now = await deps.silences?.find(burst.silence.id);
    return now === undefined ? burst.silence : toBurstSilence(now);
  }
  const openedMs = Date.parse(burst.openedAt);
  const found = await deps.silences?.overlapping(burst.group.appId, burst.group.hook, openedMs, nowMs);
  return found === undefined ? undefined : toBurstSilence(found);
}

/** Only a burst whose page has not gone out is marked (true); a lost race with the page is harmless. */
async function markSilenced(
  tables: BurstTables,
  burst: BurstRecord,
  silence: BurstSilence,
): Promise<boolean> {
  try {
    await tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: { pk: { S: groupPartition(burst.group) }, sk: { S: burst.sk } },
        UpdateExpression: "SET silence = :silence",
        ConditionExpression: "attribute_exists(sk) AND attribute_not_exists(paged_at)",
        ExpressionAttributeValues: { ":silence": { S: JSON.stringify(silence) } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Closes a burst that went quiet while silenced, sending nothing: like a resolve's close, plus the
 * conditions that its page never went out and nobody is publishing it now. False when one fails (another
 * invocation paged it after its silence ended: the next recovery run resolves it as usual).
 */
export async function closeSilencedBurst(
  tables: BurstTables,
  burst: BurstRecord,
  summary: BurstSummary,
  nowMs: number,
): Promise<boolean> {
  const pk = groupPartition(burst.group);
  try {
    await tables.client.send(
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
              ConditionExpression:
                "#status = :open AND attribute_not_exists(paged_at) AND (attribute_not_exists(page_claim_until) OR page_claim_until < :now)",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":closed": { S: "closed" },
                ":open": { S: "open" },
                ":at": { S: iso(nowMs) },
                ":now": { N: String(nowMs) },
                ":last": { S: iso(summary.lastFailureMs) },
                ":transport": { N: String(summary.transportCount) },
                ":counts": { S: JSON.stringify(summary.countsByReason) },
                ":response": { N: String(summary.responseCount) },
              },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === "TransactionCanceledException") return false;
    throw error;
  }
}
