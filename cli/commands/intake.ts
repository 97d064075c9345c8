import type { CommandLine } from "../command-line.js";
import { excerpt, formatTable } from "../format.js";
import { type IntakeKind, type IntakeRow, listIntakeRecords } from "../queries.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, readTables } from "./context.js";

const text = (value: unknown) =>
  typeof value === "string" ? value : value === undefined ? "" : String(value);
const RAW_EXCERPT_LENGTH = 48;

/** `rejected` and `quarantine`: the day partitions of the state table from `--since` (default 24h) to now. */
export function intakeCommand(kind: IntakeKind) {
  return async (context: CommandContext, line: CommandLine): Promise<CommandOutput> => {
    const sinceMs = line.since?.ms ?? context.nowMs;
    const rows = await listIntakeRecords(
      readTables(context.resources),
      kind,
      { sinceMs, nowMs: context.nowMs, limit: line.limit },
      context.progress,
    );
    return { text: formatIntake(kind, rows, line, context.nowMs), json: { [kind]: rows } };
  };
}

function formatIntake(
  kind: IntakeKind,
  rows: readonly IntakeRow[],
  line: CommandLine,
  nowMs: number,
): string {
  const since = line.since === undefined ? "" : ` since ${formatTime(line.since.ms)} (${line.since.text})`;
  if (rows.length === 0) return `Nothing ${kind}${since}.`;
  const when = [
    { heading: "RECEIVED", value: (row: IntakeRow) => formatTime(Date.parse(row.received_at)) },
    {
      heading: "AGO",
      value: (row: IntakeRow) => formatAgo(Date.parse(row.received_at), nowMs),
      align: "right" as const,
    },
  ];
  const table =
    kind === "rejected"
      ? formatTable(
          [
            ...when,
            { heading: "APP (CLAIMED)", value: (row) => text(row.claimed_app_id), optional: true },
            { heading: "REQUEST_ID", value: (row) => text(row.request_id) },
            { heading: "BYTES", value: (row) => text(row.body_bytes), align: "right" },
            { heading: "REASON", value: (row) => row.reason },
          ],
          rows,
        )
      : formatTable(
          [
            ...when,
            { heading: "APP", value: (row) => text(row.app_id), optional: true },
            { heading: "REQUEST_ID", value: (row) => text(row.request_id) },
            {
              heading: "PART",
              value: (row) => (typeof row.event_index === "number" ? `event ${row.event_index}` : "body"),
            },
            { heading: "RAW", value: (row) => excerpt(text(row.raw), RAW_EXCERPT_LENGTH) },
            { heading: "REASON", value: (row) => row.reason },
          ],
          rows,
        );
  const notes = [
    `${rows.length} ${kind} ${rows.length === 1 ? "record" : "records"}${since}, newest first.`,
    ...(rows.length === line.limit ? ["There may be more: --limit N or a later --since."] : []),
    ...(kind === "quarantined" ? ["The whole raw input of each record is in --json (field raw)."] : []),
  ];
  return `${table}\n\n${notes.join("\n")}`;
}
