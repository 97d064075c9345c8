import { HOOKS } from "../../lambdas/runtime/hooks.js";
import type { CommandLine } from "../command-line.js";
import { formatTable } from "../format.js";
import { type EventRow, listEvents } from "../queries.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, readTables, requireAppIds } from "./context.js";

/** `events`: the newest stored events, newest first, from the `by-hook` index. */
export async function runEvents(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const appIds = requireAppIds(line, context.resources);
  const hooks = line.hook === undefined ? HOOKS : [line.hook];
  const events = await listEvents(
    readTables(context.resources),
    {
      appIds,
      hooks,
      limit: line.limit,
      ...(line.reason === undefined ? {} : { reason: line.reason }),
      ...(line.reasonClass === undefined ? {} : { reasonClass: line.reasonClass }),
      ...(line.since === undefined ? {} : { sinceMs: line.since.ms }),
    },
    context.progress,
  );
  return { text: formatEvents(events, line, appIds, context.nowMs), json: { events } };
}

export function formatEvents(
  events: readonly EventRow[],
  line: CommandLine,
  appIds: readonly string[],
  nowMs: number,
): string {
  const scope = [
    line.hook === undefined ? "both hooks" : `${line.hook} hook`,
    `app ${appIds.join(", ")}`,
    line.reason ?? line.reasonClass,
    line.since === undefined ? undefined : `since ${formatTime(line.since.ms)}`,
  ]
    .filter((part) => part !== undefined)
    .join(", ");
  if (events.length === 0) return `No events stored for ${scope}.`;
  const derivedKeys = events.some((event) => event.key_source !== "dispatch_id");
  const table = formatTable(
    [
      { heading: "TIME", value: (event: EventRow) => formatTime(Date.parse(event.time)) },
      { heading: "AGO", value: (event) => formatAgo(Date.parse(event.time), nowMs), align: "right" },
      { heading: "APP", value: (event) => (appIds.length > 1 ? (event.app_id ?? "") : ""), optional: true },
      { heading: "HOOK", value: (event) => event.hook ?? event.type ?? "" },
      { heading: "REASON", value: (event) => event.reason ?? "" },
      {
        heading: "DISPATCH_ID",
        value: (event) => `${event.dispatch_id}${event.key_source === "dispatch_id" ? "" : " *"}`,
      },
      { heading: "CORRELATION_ID", value: (event) => event.correlation_id ?? "", optional: true },
      { heading: "USER", value: (event) => event.user_id ?? "", optional: true },
      { heading: "SCOPE", value: (event) => event.scope ?? "", optional: true },
    ],
    events,
  );
  const footer = [
    `${events.length} newest ${events.length === 1 ? "event" : "events"} for ${scope}, newest first (by occurred_at).`,
    ...(events.length === line.limit ? [`There may be more: --limit N (up to 1000) or --since.`] : []),
    ...(derivedKeys
      ? [
          "* no dispatch_id: the key is the envelope's event id or a hash of the event (see `hookwatch event KEY`).",
        ]
      : []),
  ];
  return `${table}\n\n${footer.join("\n")}`;
}
