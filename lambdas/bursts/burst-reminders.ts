import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { BurstPage } from "../pages/burst-page.js";
import { writeIfConditionHolds } from "./burst-lifecycle.js";
import { type BurstPublishing, DEFAULT_CLAIM_LEASE_MS, triggerPage } from "./burst-publishing.js";
import {
  type BurstRecord,
  type BurstSummary,
  type BurstTables,
  groupPartition,
  iso,
} from "./burst-record.js";
import { summarizeBurst } from "./failure-index.js";

/**
 * Reminders: an open live burst is announced again every `reminderMinutes` after its page, as a trigger
 * under the same dedup key (an incident tool folds it into the open incident), with its counts so far.
 * Reminder n is claimed on the burst item before it is published (`reminders_sent` moves from below n to
 * n), so retries, crashes and concurrent recovery runs never send one interval twice; a crash between the
 * claim and the publish skips that interval instead, and the next one goes out.
 */

/** The number of the latest reminder due at `nowMs`: 0 while the first interval after the page runs. */
export function dueReminder(pagedAtMs: number, intervalMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - pagedAtMs) / intervalMs));
}

/**
 * Sends the reminder due now, if the burst's hook has reminders on and this interval's reminder was not
 * claimed yet. Missed intervals (the schedule was down) are not caught up: only the latest is sent.
 * Returns the reminder's number, or undefined when none went out.
 */
export async function sendDueReminder(
  deps: BurstPublishing,
  burst: BurstRecord,
  latestFailureMs: number,
  nowMs: number,
): Promise<number | undefined> {
  const minutes = deps.rules[burst.group.hook].reminderMinutes;
  if (minutes === undefined || burst.status !== "open" || burst.delayed || burst.pagedAt === undefined) {
    return undefined;
  }
  const number = dueReminder(Date.parse(burst.pagedAt), minutes * 60_000, nowMs);
  if (number < 1 || number <= (burst.remindersSent ?? 0)) return undefined;
  // A silence set after the page holds its reminders too, as an Alertmanager silence holds repeats.
  if (await deps.silences?.active(burst.group.appId, burst.group.hook, nowMs)) return undefined;
  const leaseMs = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  if (!(await claimReminder(deps.tables, burst, number, nowMs, leaseMs))) return undefined;
  try {
    const summary = await summarizeBurst(
      deps.tables,
      burst.group,
      burst.windowStartMs,
      Math.max(latestFailureMs, burst.lastFailureMs),
    );
    const runbookUrl = deps.rules[burst.group.hook].runbookUrl;
    await deps.pager.publish(
      reminderPage(burst, summary, { number, everyMinutes: minutes, runbookUrl }, nowMs),
    );
  } catch (error) {
    // SNS refused it: the interval is given back, so the next run sends it.
    await releaseReminder(deps.tables, burst, number).catch(() => undefined);
    throw error;
  }
  await endReminderClaim(deps.tables, burst, number).catch(() => undefined);
  return number;
}

/** A reminder: the trigger page with the counts of the whole burst so far and how long it has lasted. */
export function reminderPage(
  burst: BurstRecord,
  summary: BurstSummary,
  {
    number,
    everyMinutes,
    runbookUrl,
  }: { number: number; everyMinutes: number; runbookUrl?: string | undefined },
  nowMs: number,
): BurstPage {
  return {
    ...triggerPage(burst, { runbookUrl }),
    windowEnd: iso(summary.lastFailureMs),
    lastFailureAt: iso(summary.lastFailureMs),
    transportCount: summary.transportCount,
    countsByReason: summary.countsByReason,
    responseCount: summary.responseCount,
    at: iso(nowMs),
    reminder: { number, everyMinutes, openForSeconds: Math.round((nowMs - burst.firstFailureMs) / 1000) },
  };
}

const burstKey = (burst: BurstRecord) => ({
  pk: { S: groupPartition(burst.group) },
  sk: { S: burst.sk },
});

/**
 * Claims reminder `number` of an open, paged burst: it succeeds once per number. The claim holds a lease
 * that a resolve waits for, so a reminder (a trigger) never follows the resolve of its burst.
 */
async function claimReminder(
  tables: BurstTables,
  burst: BurstRecord,
  number: number,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  return writeIfConditionHolds(() =>
    tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: burstKey(burst),
        UpdateExpression: "SET reminders_sent = :n, last_reminder_at = :at, reminder_claim_until = :until",
        ConditionExpression:
          "#status = :open AND attribute_exists(paged_at) AND (attribute_not_exists(reminders_sent) OR reminders_sent < :n) AND (attribute_not_exists(resolve_claim_until) OR resolve_claim_until < :now)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":open": { S: "open" },
          ":n": { N: String(number) },
          ":at": { S: iso(nowMs) },
          ":until": { N: String(nowMs + leaseMs) },
          ":now": { N: String(nowMs) },
        },
      }),
    ),
  );
}

/** Gives reminder `number` back after a failed publish, unless a later one was claimed since. */
async function releaseReminder(tables: BurstTables, burst: BurstRecord, number: number): Promise<void> {
  const previous = burst.remindersSent;
  const restore =
    previous === undefined
      ? "REMOVE reminders_sent, last_reminder_at, reminder_claim_until"
      : `SET reminders_sent = :previous${burst.lastReminderAt === undefined ? "" : ", last_reminder_at = :previousAt"} REMOVE reminder_claim_until`;
  await writeIfConditionHolds(() =>
    tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: burstKey(burst),
        UpdateExpression: restore,
        ConditionExpression: "reminders_sent = :n",
        ExpressionAttributeValues: {
          ":n": { N: String(number) },
          ...(previous === undefined ? {} : { ":previous": { N: String(previous) } }),
          ...(previous === undefined || burst.lastReminderAt === undefined
            ? {}
            : { ":previousAt": { S: burst.lastReminderAt } }),
        },
      }),
    ),
  );
}

/** The reminder is out: a resolve need not wait for its lease. */
async function endReminderClaim(tables: BurstTables, burst: BurstRecord, number: number): Promise<void> {
  await writeIfConditionHolds(() =>
    tables.client.send(
      new UpdateItemCommand({
        TableName: tables.stateTableName,
        Key: burstKey(burst),
        UpdateExpression: "REMOVE reminder_claim_until",
        ConditionExpression: "reminders_sent = :n",
        ExpressionAttributeValues: { ":n": { N: String(number) } },
      }),
    ),
  );
}
