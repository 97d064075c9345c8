import { createHash } from "node:crypto";
import * as z from "zod/mini";
import { type Hook, hookOfEventType } from "../runtime/hooks.js";

export type ReasonClass = "transport" | "response" | "unknown";

/** Transport-level reasons: the hook could not be reached or answered non-2xx. These page. */
export const TRANSPORT_REASONS = ["request_failed", "invalid_status_code"] as const;

/** Response-level reasons per hook, as the seed pages list them: the hook answered 200 with a bad body. */
export const RESPONSE_REASONS: Readonly<Record<Hook, readonly string[]>> = {
  migration: ["response_decode_failed", "missing_external_id", "missing_identifiers", "invalid_response"],
  "step-up": [
    "response_decode_failed",
    "invalid_status",
    "missing_steps",
    "invalid_granted_for",
    "invalid_grant_mode",
    "invalid_step",
    "invalid_response",
  ],
};

export function classifyReason(hook: Hook, reason: string): ReasonClass {
  if ((TRANSPORT_REASONS as readonly string[]).includes(reason)) return "transport";
  if (RESPONSE_REASONS[hook].includes(reason)) return "response";
  return "unknown";
}

/** Why a stored event deserves a second look: Prelude added something hookwatch does not know yet. */
export type EventFlag = "unknown_type" | "unknown_reason" | "extra_fields";

export interface PreludeEvent {
  /** The storage key: `dispatch_id`, else `event_id:<envelope id>`, else `sha256:<content hash>`. */
  readonly key: string;
  readonly keySource: "dispatch_id" | "event_id" | "content_hash";
  readonly type: string;
  /** Absent for event types that are not hook failures. */
  readonly hook?: Hook;
  readonly reason?: string;
  readonly reasonClass: ReasonClass;
  /** `occurred_at` exactly as sent, and as epoch milliseconds when it is a valid RFC 3339 time. */
  readonly occurredAt?: string;
  readonly occurredAtMs?: number;
  readonly dispatchId?: string;
  readonly correlationId?: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly scope?: string;
  readonly envelopeId?: string;
  readonly flags: readonly EventFlag[];
  /** sha256 of the canonical event fields: what "the same event" means when deliveries repeat. */
  readonly contentHash: string;
  /** The element of `events` as received, re-serialized. */
  readonly raw: string;
}

export type EventValidation =
  | { readonly valid: true; readonly event: PreludeEvent }
  /** `raw` is absent only when the element cannot be serialized on its own (too deep). */
  | { readonly valid: false; readonly reason: string; readonly raw?: string };

/** Deeper than any Prelude event; deeper JSON would overflow the recursive serializers. */
export const MAX_EVENT_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit`, measured without recursion. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== "object" || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

export type BatchParse =
  | { readonly ok: true; readonly appId: string; readonly events: readonly unknown[] }
  | { readonly ok: false; readonly reason: string };

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** Epoch milliseconds of an RFC 3339 date-time, or undefined when it is not one (Feb 30 included). */
export function parseRfc3339(value: string): number | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  if (match[9] !== undefined && (Number(match[9]) > 23 || Number(match[10]) > 59)) return undefined;
  const ms = Date.parse(value.toUpperCase());
  return Number.isNaN(ms) ? undefined : ms;
}

const rfc3339 = z
  .string()
  .check(z.refine((value) => parseRfc3339(value) !== undefined, "an RFC 3339 date-time"));
const optionalId = z.optional(z.string().check(z.minLength(1, "a non-empty string")));
const reason = z.string().check(z.minLength(1, "a non-empty string"));

const migrationFields = z.object({
  reason,
  occurred_at: rfc3339,
  dispatch_id: optionalId,
  correlation_id: optionalId,
});

const stepUpFields = z.object({
  user_id: z.string().check(z.startsWith("usr_", "a user id starting with 'usr_'")),
  session_id: z.string().check(z.startsWith("ses_", "a session id starting with 'ses_'")),
  scope: z.string().check(z.minLength(1, "a non-empty string")),
  reason,
  occurred_at: rfc3339,
  dispatch_id: optionalId,
  correlation_id: optionalId,
});

const DOCUMENTED_FIELDS: Readonly<Record<Hook, readonly string[]>> = {
  migration: Object.keys(migrationFields.shape),
  "step-up": Object.keys(stepUpFields.shape),
};

/** Envelope keys of Prelude's wrapped shape `{id, type, payload, created_at}`; not event content. */
const ENVELOPE_KEYS = new Set(["id", "type", "payload", "created_at"]);

const batchSchema = z.object({
  app_id: z.string().check(z.minLength(1, "a non-empty string")),
  events: z.array(z.unknown()),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted at every depth; builds a string, so `__proto__` keys stay plain data. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.join(".") || "the event";
  if (issue.code === "invalid_type") {
    return issue.input === undefined
      ? `${field} is required`
      : `${field} must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}, got ${Array.isArray(issue.input) ? "array" : typeof issue.input}`;
  }
  return `${field} must be ${issue.message}`;
}

/** Checks that the body is a Prelude batch: `{"app_id": "...", "events": [...]}`. */
export function parseBatch(body: unknown): BatchParse {
  if (!isRecord(body)) return { ok: false, reason: "body is not a JSON object with app_id and events" };
  const parsed = batchSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, reason: `not a Prelude batch: ${parsed.error.issues.map(describeIssue).join("; ")}` };
  }
  return { ok: true, appId: parsed.data.app_id, events: parsed.data.events };
}

/**
 * Validates one element of a batch's `events`, in either shape Prelude may send: wrapped as
 * `{id, type, payload, created_at}` or with the payload fields next to `type`. Only a broken
 * documented rule makes an event invalid; unknown types, reasons and extra fields are kept and flagged.
 */
export function validateEvent(element: unknown): EventValidation {
  if (nestsDeeperThan(element, MAX_EVENT_DEPTH)) {
    return { valid: false, reason: `event nests deeper than ${MAX_EVENT_DEPTH} levels` };
  }
  const raw = JSON.stringify(element) ?? "null";
  if (!isRecord(element)) return { valid: false, reason: "event is not a JSON object", raw };
  const { type } = element;
  if (typeof type !== "string" || type === "") {
    return { valid: false, reason: "event has no type (a non-empty string)", raw };
  }
  const wrapped = "payload" in element;
  if (wrapped && !isRecord(element.payload)) {
    return { valid: false, reason: "payload must be a JSON object", raw };
  }
  const fields: Record<string, unknown> = wrapped
    ? (element.payload as Record<string, unknown>)
    : Object.fromEntries(Object.entries(element).filter(([key]) => !ENVELOPE_KEYS.has(key)));
  const envelopeId = typeof element.id === "string" && element.id !== "" ? element.id : undefined;
  const contentHash = sha256Hex(canonicalJson({ type, fields }));
  const flags: EventFlag[] = [];
  const hook = hookOfEventType(type);

  let reasonValue: string | undefined;
  let reasonClass: ReasonClass = "unknown";
  if (hook === undefined) {
    flags.push("unknown_type");
    if (typeof fields.reason === "string") reasonValue = fields.reason;
  } else {
    const parsed = (hook === "migration" ? migrationFields : stepUpFields).safeParse(fields, {
      reportInput: true,
    });
    if (!parsed.success) {
      return { valid: false, reason: `${type}: ${parsed.error.issues.map(describeIssue).join("; ")}`, raw };
    }
    reasonValue = parsed.data.reason;
    reasonClass = classifyReason(hook, reasonValue);
    if (reasonClass === "unknown") flags.push("unknown_reason");
    if (Object.keys(fields).some((key) => !DOCUMENTED_FIELDS[hook].includes(key))) flags.push("extra_fields");
  }

  const text = (name: string): string | undefined => {
    const value = fields[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const dispatchId = text("dispatch_id");
  const occurredAt = text("occurred_at");
  const occurredAtMs = occurredAt === undefined ? undefined : parseRfc3339(occurredAt);
  const [key, keySource] =
    dispatchId !== undefined
      ? ([dispatchId, "dispatch_id"] as const)
      : envelopeId !== undefined
        ? ([`event_id:${envelopeId}`, "event_id"] as const)
        : ([`sha256:${contentHash}`, "content_hash"] as const);

  const optional = {
    hook,
    reason: reasonValue,
    occurredAt,
    occurredAtMs,
    dispatchId,
    correlationId: text("correlation_id"),
    userId: text("user_id"),
    sessionId: text("session_id"),
    scope: text("scope"),
    envelopeId,
  };
  const event: PreludeEvent = {
    key,
    keySource,
    type,
    reasonClass,
    flags,
    contentHash,
    raw,
    ...(Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) as Partial<
      Omit<PreludeEvent, "key" | "keySource" | "type" | "reasonClass" | "flags" | "contentHash" | "raw">
    >),
  };
  return { valid: true, event };
}
