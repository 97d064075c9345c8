import { shellWord } from "../../lambdas/pages/plain-text.js";
import type { CommandLine } from "../command-line.js";
import { type Column, excerpt, formatTable, plural } from "../format.js";
import { type IntakeKind, type IntakeRow, listIntakeRecords } from "../queries.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, readTables, suggest } from "./context.js";

const text = (value: unknown) =>
  typeof value === "string" ? value : value === undefined ? "" : String(value);
const RAW_EXCERPT_LENGTH = 48;
const raw: Column<IntakeRow> = { heading: "RAW", value: (row) => excerpt(text(row.raw), RAW_EXCERPT_LENGTH) };

/** What each day-partitioned record list is called on screen, and the columns after its arrival time. */
const KINDS: Record<
  IntakeKind,
  { readonly noun: string; readonly empty: string; readonly columns: readonly Column<IntakeRow>[] }
> = {
  rejected: {
    noun: "rejected record",
    empty: "Nothing rejected",
    columns: [
      { heading: "APP (CLAIMED)", value: (row) => text(row.claimed_app_id), optional: true },
      { heading: "REQUEST_ID", value: (row) => text(row.request_id) },
      { heading: "BYTES", value: (row) => text(row.body_bytes), align: "right" },
      { heading: "REASON", value: (row) => text(row.reason) },
    ],
  },
  quarantined: {
    noun: "quarantined record",
    empty: "Nothing quarantined",
    columns: [
      { heading: "APP", value: (row) => text(row.app_id), optional: true },
      { heading: "REQUEST_ID", value: (row) => text(row.request_id) },
      {
        heading: "PART",
        value: (row) => (typeof row.event_index === "number" ? `event ${row.event_index}` : "body"),
      },
      raw,
      { heading: "REASON", value: (row) => text(row.reason) },
    ],
  },
  conflicts: {
    noun: "conflict",
    empty: "No conflicts",
    columns: [
      { heading: "APP", value: (row) => text(row.app_id) },
      { heading: "HOOK", value: (row) => text(row.hook), optional: true },
      { heading: "REASON", value: (row) => text(row.reason), optional: true },
      { heading: "KEY", value: (row) => text(row.event_key) },
      { heading: "REQUEST_ID", value: (row) => text(row.request_id) },
      raw,
    ],
  },
};

/**
 * `rejected`, `quarantine` and `conflicts`: the day partitions of the state table from `--since`
 * (default 24h) to now.
 */
export function intakeCommand(kind: IntakeKind) {
  return async (context: CommandContext, line: CommandLine): Promise<CommandOutput> => {
    const range = { sinceMs: line.since?.ms ?? context.nowMs, nowMs: context.nowMs, limit: line.limit };
    const rows = await listIntakeRecords(readTables(context.resources), kind, range, context.progress);
    return { text: formatIntake(kind, rows, line, context), json: { [kind]: rows } };
  };
}

function formatIntake(
  kind: IntakeKind,
  rows: readonly IntakeRow[],
  line: CommandLine,
  context: CommandContext,
): string {
  const { noun, empty, columns } = KINDS[kind];
  const since = line.since === undefined ? "" : ` since ${formatTime(line.since.ms)} (${line.since.text})`;
  if (rows.length === 0) return `${empty}${since}.`;
  const table = formatTable(
    [
      { heading: "RECEIVED", value: (row) => formatTime(Date.parse(row.received_at)) },
      {
        heading: "AGO",
        value: (row) => formatAgo(Date.parse(row.received_at), context.nowMs),
        align: "right",
      },
      ...columns,
    ],
    rows,
  );
  const count = `${plural(rows.length, noun)}${since}, newest first`;
  const notes = [
    kind === "conflicts"
      ? `${count}: deliveries of a stored key with other content, kept aside (not stored, not counted toward bursts).`
      : `${count}.`,
    ...(rows.length === line.limit ? ["There may be more: --limit N or a later --since."] : []),
    ...(kind === "quarantined" ? ["The whole raw input of each record is in --json (field raw)."] : []),
    ...(kind === "conflicts"
      ? [
          `The stored event beside its conflicts: ${suggest(context.resources, `event ${shellWord(text(rows[0]?.event_key))}`)}; the whole raw input is in --json (field raw).`,
        ]
      : []),
  ];
  return `${table}\n\n${notes.join("\n")}`;
}
