import type { CommandLine } from "../command-line.js";
import { NotFoundError } from "../errors.js";
import { formatFields, prettyJson } from "../format.js";
import { listConflicts, readStoredEvent } from "../queries.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, readTables } from "./context.js";

/** What each key source means, as `event` explains it. */
export const KEY_SOURCE_MEANING: Record<string, string> = {
  dispatch_id: "the event's dispatch_id, as Prelude sent it",
  event_id: "no dispatch_id in the event: the envelope's event id (event_id:<id>)",
  content_hash:
    "no dispatch_id and no envelope id: a SHA-256 of the canonical event (sha256:<hash>), so only an identical event is the same",
};

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/** `event <dispatch_id>`: one stored event, its raw payload, where its key came from, and any conflicts. */
export async function runEvent(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const key = line.dispatchId ?? "";
  const tables = readTables(context.resources);
  const event = await readStoredEvent(tables, key);
  if (event === undefined) {
    throw new NotFoundError(
      `no event with key "${key}" in table ${tables.eventsTableName} (events without a dispatch_id are keyed event_id:<id> or sha256:<hash>; \`hookwatch events\` lists keys)`,
    );
  }
  const receivedAtMs = Date.parse(text(event.received_at) ?? "");
  const conflicts = await listConflicts(
    tables,
    key,
    Number.isNaN(receivedAtMs) ? context.nowMs : receivedAtMs,
    context.nowMs,
  );
  const raw = text(event.raw) ?? "";
  let payload: unknown = null;
  try {
    payload = JSON.parse(raw);
  } catch {
    // Stored events are re-serialized JSON; a non-JSON raw would only be shown as text.
  }
  const keySource = text(event.key_source) ?? "dispatch_id";
  const json = {
    event,
    payload,
    key_source: { source: keySource, meaning: KEY_SOURCE_MEANING[keySource] ?? keySource },
    conflicts,
  };
  return { text: formatEvent(event, conflicts, context.nowMs), json };
}

function formatEvent(
  event: Record<string, unknown>,
  conflicts: readonly Record<string, unknown>[],
  nowMs: number,
): string {
  const time = (name: string) => {
    const value = text(event[name]);
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : `${value} (${formatAgo(ms, nowMs)})`;
  };
  const expires = typeof event.expires_at === "number" ? event.expires_at * 1000 : undefined;
  const keySource = text(event.key_source) ?? "dispatch_id";
  const flags = Array.isArray(event.flags) ? event.flags.join(", ") : undefined;
  const fields = formatFields([
    ["key", text(event.dispatch_id)],
    ["key source", `${keySource}: ${KEY_SOURCE_MEANING[keySource] ?? "unknown"}`],
    ["type", text(event.type)],
    ["hook", text(event.hook)],
    ["app_id", text(event.app_id)],
    [
      "reason",
      text(event.reason) && `${text(event.reason)} (${text(event.reason_class) ?? "unknown"} class)`,
    ],
    ["occurred_at", time("occurred_at")],
    ["received_at", time("received_at")],
    ["correlation_id", text(event.correlation_id)],
    ["user_id", text(event.user_id)],
    ["session_id", text(event.session_id)],
    ["scope", text(event.scope)],
    ["envelope id", text(event.envelope_id)],
    ["flags", flags],
    ["request_id", text(event.request_id)],
    ["content hash", text(event.content_hash)],
    ["expires", expires === undefined ? undefined : `${formatTime(expires)} (${formatAgo(expires, nowMs)})`],
  ]);
  const sections = [fields, `Payload, as received:\n${prettyJson(text(event.raw) ?? "")}`];
  if (conflicts.length > 0) {
    const heading = `Conflicts: ${conflicts.length} later ${conflicts.length === 1 ? "delivery" : "deliveries"} with this key and other content (kept aside, not stored):`;
    const blocks = conflicts.map((conflict) =>
      [
        `received ${text(conflict.received_at) ?? "?"}, request ${text(conflict.request_id) ?? "?"}, content hash ${text(conflict.content_hash) ?? "?"}`,
        prettyJson(text(conflict.raw) ?? ""),
      ]
        .join("\n")
        .replace(/^/gm, "  "),
    );
    sections.push([heading, ...blocks].join("\n"));
  }
  return sections.join("\n\n");
}
