import type { CommandLine } from "../command-line.js";
import { excerpt, formatTable, shellQuote } from "../format.js";
import { type ConflictRow, listConflictRecords } from "../queries.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, readTables, suggest } from "./context.js";

const text = (value: unknown) =>
  typeof value === "string" ? value : value === undefined ? "" : String(value);
const RAW_EXCERPT_LENGTH = 48;

/**
 * `conflicts`: later deliveries of an already stored key with other content, from `--since` (default
 * 24h) to now. They are kept aside, not stored, and do not count toward a burst: many of them mean
 * that keys are being reused for different events.
 */
export async function runConflicts(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const sinceMs = line.since?.ms ?? context.nowMs;
  const rows = await listConflictRecords(
    readTables(context.resources),
    { sinceMs, nowMs: context.nowMs, limit: line.limit },
    context.progress,
  );
  return { text: formatConflicts(rows, line, context), json: { conflicts: rows } };
}

function formatConflicts(rows: readonly ConflictRow[], line: CommandLine, context: CommandContext): string {
  const since = line.since === undefined ? "" : ` since ${formatTime(line.since.ms)} (${line.since.text})`;
  if (rows.length === 0) return `No conflicts${since}.`;
  const table = formatTable(
    [
      { heading: "RECEIVED", value: (row: ConflictRow) => formatTime(Date.parse(row.received_at)) },
      {
        heading: "AGO",
        value: (row) => formatAgo(Date.parse(row.received_at), context.nowMs),
        align: "right",
      },
      { heading: "APP", value: (row) => text(row.app_id) },
      { heading: "HOOK", value: (row) => text(row.hook), optional: true },
      { heading: "REASON", value: (row) => text(row.reason), optional: true },
      { heading: "KEY", value: (row) => row.event_key },
      { heading: "REQUEST_ID", value: (row) => text(row.request_id) },
      { heading: "RAW", value: (row) => excerpt(text(row.raw), RAW_EXCERPT_LENGTH) },
    ],
    rows,
  );
  const first = shellQuote(rows[0]?.event_key ?? "<key>");
  const notes = [
    `${rows.length} ${rows.length === 1 ? "conflict" : "conflicts"}${since}, newest first: deliveries of a stored key with other content, kept aside (not stored, not counted toward bursts).`,
    ...(rows.length === line.limit ? ["There may be more: --limit N or a later --since."] : []),
    `The stored event beside its conflicts: ${suggest(context.resources, `event ${first}`)}; the whole raw input is in --json (field raw).`,
  ];
  return `${table}\n\n${notes.join("\n")}`;
}
