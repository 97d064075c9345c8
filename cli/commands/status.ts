import { HOOKS } from "../../lambdas/runtime/hooks.js";
import { silenceState } from "../../lambdas/silences/silence-record.js";
import { listSilences } from "../../lambdas/silences/silence-store.js";
import type { CommandLine } from "../command-line.js";
import { formatTable, plural } from "../format.js";
import {
  countEventsByReason,
  countIntakeRecords,
  listOpenBurstViews,
  listOpenStormRecords,
  REASON_CLASSES,
  type ReasonCount,
} from "../queries.js";
import { type QueueDepth, readQueueDepth } from "../queues.js";
import { formatAgo, formatTime } from "../time.js";
import { formatReminders, pagedColumn, toBurstJson } from "./bursts.js";
import type { CommandContext, CommandOutput } from "./context.js";
import { readTables, suggest } from "./context.js";
import { formatStormSection, toStormJson } from "./response-storms.js";
import { formatSilenceTable, toSilenceJson } from "./silence.js";

const HOUR_MS = 3_600_000;

/** `status`: one screen of queue depths, open bursts and the last hour's events, rejections, quarantines and conflicts. */
export async function runStatus(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const { resources, nowMs } = context;
  const tables = readTables(resources);
  const sinceMs = nowMs - HOUR_MS;
  const appIds = line.appIds ?? resources.appIds;
  const [queue, deadLetterQueue, openBursts, openStorms, events, rejected, quarantined, conflicts, stored] =
    await Promise.all([
      resources.queueUrl().then((url) => readQueueDepth(resources.sqs, url)),
      readQueueDepth(resources.sqs, resources.deadLetterQueueUrl),
      listOpenBurstViews(tables),
      listOpenStormRecords(tables),
      appIds === undefined
        ? Promise.resolve(undefined)
        : countEventsByReason(tables, { appIds, hooks: HOOKS, sinceMs }, context.progress),
      countIntakeRecords(tables, "rejected", sinceMs, nowMs),
      countIntakeRecords(tables, "quarantined", sinceMs, nowMs),
      countIntakeRecords(tables, "conflicts", sinceMs, nowMs),
      listSilences({ client: tables.client, stateTableName: tables.stateTableName }),
    ]);
  const silences = stored
    .filter((silence) => silenceState(silence, nowMs) !== "ended")
    .filter((silence) => appIds === undefined || appIds.includes(silence.appId))
    .sort((a, b) => a.startsAtMs - b.startsAtMs);
  const json = {
    target: resources.origin,
    now: new Date(nowMs).toISOString(),
    queue,
    dead_letter_queue: deadLetterQueue,
    open_bursts: openBursts.map(toBurstJson),
    open_response_storms: openStorms.map(toStormJson),
    silences: silences.map((silence) => toSilenceJson(silence, nowMs)),
    last_hour: {
      since: new Date(sinceMs).toISOString(),
      app_ids: appIds ?? null,
      events: events ?? null,
      rejected,
      quarantined,
      conflicts,
    },
  };

  const depth = (value: QueueDepth) => `${value.waiting} waiting, ${value.in_flight} in flight`;
  const lines = [
    `hookwatch status: ${resources.origin}, ${formatTime(nowMs)}`,
    "",
    `webhook queue      ${depth(queue)}`,
    `dead-letter queue  ${depth(deadLetterQueue)}${deadLetterQueue.waiting > 0 ? `   → ${suggest(resources, "dlq")}` : ""}`,
    `open bursts        ${openBursts.length === 0 ? "none" : openBursts.length}`,
  ];
  if (openBursts.length > 0) {
    const table = formatTable(
      [
        { heading: "APP", value: (view: (typeof openBursts)[number]) => view.record.group.appId },
        { heading: "HOOK", value: (view) => view.record.group.hook },
        {
          heading: "SINCE",
          value: (view) =>
            `${formatTime(view.record.firstFailureMs)} (${formatAgo(view.record.firstFailureMs, nowMs)})`,
        },
        {
          heading: "LAST FAILURE",
          value: (view) => formatAgo(view.latestFailureMs ?? view.record.lastFailureMs, nowMs),
        },
        { heading: "PAGED", value: (view) => pagedColumn(view.record) },
        { heading: "REMINDERS", value: (view) => formatReminders(view.record), optional: true },
        { heading: "DEDUP KEY", value: (view) => view.record.dedupKey },
      ],
      openBursts,
    );
    lines.push(indent(table));
  }
  lines.push(`response warnings  ${openStorms.length === 0 ? "none open" : `${openStorms.length} open`}`);
  const [, stormTable] = formatStormSection(openStorms, "");
  if (stormTable !== undefined) lines.push(indent(stormTable));
  const active = silences.filter((silence) => silenceState(silence, nowMs) === "active").length;
  lines.push(
    `silences           ${silences.length === 0 ? "none" : `${active} active, ${silences.length - active} pending`}`,
  );
  if (silences.length > 0) lines.push(indent(formatSilenceTable(silences, nowMs)));
  lines.push("", `Last hour (since ${formatTime(sinceMs)}; events by occurred_at, the rest by arrival):`);
  if (events === undefined) {
    lines.push("  events: pass --app ID to count them (the target does not name its apps)");
  } else if (events.length === 0) {
    lines.push(`  events: none for app ${appIds?.join(", ")}`);
  } else {
    const total = events.reduce((sum, row) => sum + row.count, 0);
    lines.push(`  ${plural(total, "event")}:`);
    const rows = [...events].sort(
      (a, b) =>
        a.app_id.localeCompare(b.app_id) ||
        a.hook.localeCompare(b.hook) ||
        REASON_CLASSES.indexOf(a.reason_class) - REASON_CLASSES.indexOf(b.reason_class) ||
        b.count - a.count,
    );
    lines.push(
      indent(
        formatTable(
          [
            { heading: "APP", value: (row: ReasonCount) => row.app_id },
            { heading: "HOOK", value: (row) => row.hook },
            { heading: "CLASS", value: (row) => row.reason_class },
            { heading: "REASON", value: (row) => row.reason },
            { heading: "COUNT", value: (row) => String(row.count), align: "right" },
          ],
          rows,
        ),
      ),
    );
  }
  lines.push(
    `  rejected: ${rejected}${rejected > 0 ? `   → ${suggest(resources, "rejected --since 1h")}` : ""}`,
    `  quarantined: ${quarantined}${quarantined > 0 ? `   → ${suggest(resources, "quarantine --since 1h")}` : ""}`,
    `  conflicts: ${conflicts}${conflicts > 0 ? `   → ${suggest(resources, "conflicts --since 1h")}` : ""}`,
  );
  return { text: lines.join("\n"), json };
}

const indent = (block: string) =>
  block
    .split("\n")
    .map((row) => `  ${row}`)
    .join("\n");
