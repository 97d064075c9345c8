import type { BurstRecord, BurstSilence } from "../../lambdas/bursts/burst-record.js";
import { HOOKS, type Hook } from "../../lambdas/runtime/hooks.js";
import type { StormRecord } from "../../lambdas/storms/storm-record.js";
import type { CommandLine } from "../command-line.js";
import { formatCounts, formatTable } from "../format.js";
import {
  type BurstView,
  listBursts,
  listOpenBurstViews,
  listOpenStormRecords,
  listStormRecords,
} from "../queries.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, readTables, requireAppIds } from "./context.js";
import { formatStormSection, toStormJson } from "./response-storms.js";

const iso = (ms: number) => (Number.isNaN(ms) ? null : new Date(ms).toISOString());

/** A burst for `--json`: the stored burst, times as ISO, and the newest failure so far for an open one. */
export function toBurstJson({ record, latestFailureMs }: BurstView) {
  return {
    app_id: record.group.appId,
    hook: record.group.hook,
    status: record.status,
    delayed: record.delayed,
    dedup_key: record.dedupKey,
    window_start: iso(record.windowStartMs),
    window_end: iso(record.windowEndMs),
    first_failure_at: iso(record.firstFailureMs),
    last_failure_at: iso(record.lastFailureMs),
    latest_failure_at: latestFailureMs === undefined ? null : iso(latestFailureMs),
    transport_count: record.transportCount,
    response_count: record.responseCount,
    counts_by_reason: record.countsByReason,
    threshold: record.threshold,
    window_seconds: record.windowSeconds,
    quiet_seconds: record.quietSeconds,
    opened_at: record.openedAt,
    paged_at: record.pagedAt ?? null,
    reminders_sent: record.remindersSent ?? 0,
    last_reminder_at: record.lastReminderAt ?? null,
    resolved_at: record.resolvedAt ?? null,
    /** Its page is held (or, closed, was never sent) because of `silence`. */
    silenced: isSilenced(record),
    silence: record.silence === undefined ? null : silenceJson(record.silence),
    sample_events: record.samples,
  };
}

/** A silence holds its page now, or held it until the burst closed: nothing was sent for it. */
export const isSilenced = (record: BurstRecord) =>
  record.silence !== undefined && record.pagedAt === undefined;

const silenceJson = (silence: BurstSilence) => ({
  id: silence.id,
  reason: silence.reason,
  created_by: silence.createdBy,
  starts_at: silence.startsAt,
  ends_at: silence.endsAt,
});

/** STATUS: open or closed, and why it was not paged when a silence held it. */
export function burstStatus(record: BurstRecord): string {
  return [
    record.status,
    ...(record.delayed ? ["delayed"] : []),
    ...(isSilenced(record) ? ["silenced"] : []),
  ].join(", ");
}

/** PAGED: when, or why not yet; a page a silence held names it. */
export function pagedColumn(record: BurstRecord): string {
  if (record.pagedAt !== undefined) {
    const paged = formatTime(Date.parse(record.pagedAt));
    return record.silence === undefined ? paged : `${paged} (after ${record.silence.id})`;
  }
  if (record.silence === undefined) return "not yet";
  return record.status === "open"
    ? `silenced, held by ${record.silence.id}`
    : `never, silenced by ${record.silence.id}`;
}

/** `bursts`: open ones from the `open-bursts` index, or all of the known apps and hooks. */
export async function runBursts(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const tables = readTables(context.resources);
  const hooks = line.hook === undefined ? HOOKS : [line.hook];
  let bursts: BurstView[];
  let storms: StormRecord[];
  if (line.open) {
    // The open index covers every app: no app list is needed, only filters when given.
    const chosen = (group: { appId: string; hook: Hook }) =>
      hooks.includes(group.hook) && (line.appIds === undefined || line.appIds.includes(group.appId));
    bursts = (await listOpenBurstViews(tables)).filter(({ record }) => chosen(record.group));
    storms = (await listOpenStormRecords(tables)).filter((storm) => chosen(storm.group));
  } else {
    const query = {
      appIds: requireAppIds(line, context.resources),
      hooks,
      limit: line.limit,
      ...(line.since === undefined ? {} : { sinceMs: line.since.ms }),
    };
    [bursts, storms] = await Promise.all([
      listBursts(tables, query, context.progress),
      listStormRecords(tables, query),
    ]);
  }
  const stormLines = formatStormSection(
    storms,
    line.open ? "Open response-level warnings" : "Response-level warnings",
  );
  return {
    text: [
      formatBursts(bursts, line, context.nowMs),
      ...(stormLines.length > 0 ? ["", ...stormLines] : []),
    ].join("\n"),
    json: { bursts: bursts.map(toBurstJson), response_storms: storms.map(toStormJson) },
  };
}

export function formatBurstTable(bursts: readonly BurstView[], nowMs: number): string {
  return formatTable(
    [
      {
        heading: "STATUS",
        value: ({ record }: BurstView) => burstStatus(record),
      },
      { heading: "APP", value: ({ record }) => record.group.appId },
      { heading: "HOOK", value: ({ record }) => record.group.hook },
      {
        heading: "WINDOW",
        value: ({ record }) =>
          `${formatTime(record.windowStartMs)} → ${formatTime(record.windowEndMs).slice(11)} (${record.windowSeconds}s, threshold ${record.threshold})`,
      },
      { heading: "TRANSPORT", value: ({ record }) => String(record.transportCount), align: "right" },
      { heading: "RESPONSE", value: ({ record }) => String(record.responseCount), align: "right" },
      { heading: "BY REASON", value: ({ record }) => formatCounts(record.countsByReason) },
      {
        heading: "LAST FAILURE",
        value: ({ record, latestFailureMs }) => formatAgo(latestFailureMs ?? record.lastFailureMs, nowMs),
      },
      { heading: "PAGED", value: ({ record }) => pagedColumn(record) },
      { heading: "REMINDERS", value: ({ record }) => formatReminders(record), optional: true },
      {
        heading: "RESOLVED",
        value: ({ record }) =>
          record.resolvedAt === undefined ? "-" : formatTime(Date.parse(record.resolvedAt)),
      },
      { heading: "DEDUP KEY", value: ({ record }) => record.dedupKey },
    ],
    bursts,
  );
}

/** Reminders sent for a burst and when the last went out; empty when none (the column is then left out). */
export function formatReminders(record: BurstRecord): string {
  if (record.remindersSent === undefined || record.lastReminderAt === undefined) return "";
  return `${record.remindersSent}, last ${formatTime(Date.parse(record.lastReminderAt))}`;
}

function formatBursts(bursts: readonly BurstView[], line: CommandLine, nowMs: number): string {
  const since = line.since === undefined ? "" : ` since ${formatTime(line.since.ms)}`;
  if (bursts.length === 0) {
    const filters = [
      line.hook === undefined ? undefined : `the ${line.hook} hook`,
      line.appIds === undefined ? undefined : `app ${line.appIds.join(", ")}`,
    ].filter((part) => part !== undefined);
    const scope = filters.length === 0 ? "" : ` for ${filters.join(" of ")}`;
    if (line.open) return `No open bursts${scope}${scope === "" ? ": no hook is failing right now" : ""}.`;
    return `No bursts${scope}${since}.`;
  }
  const notes = [
    `${bursts.length} ${line.open ? "open " : ""}${bursts.length === 1 ? "burst" : "bursts"}${since}, newest first.`,
    ...(bursts.some(({ record }) => record.status === "open")
      ? ["Counts of an open burst are those of its page; they are final once it resolves."]
      : []),
    ...(bursts.some(({ record }) => isSilenced(record))
      ? [
          "Silenced: a silence holds the page; it goes out when the silence ends if the burst is still open (npx hookwatch silence list).",
        ]
      : []),
    ...(!line.open && bursts.length === line.limit ? ["There may be more: --limit N or --since."] : []),
  ];
  return `${formatBurstTable(bursts, nowMs)}\n\n${notes.join("\n")}`;
}
