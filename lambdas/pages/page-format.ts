import { type Hook, hookLabel } from "../runtime/hooks.js";
import { TRANSPORT_REASONS } from "../webhook/event-validation.js";
import type { BurstPage, PageSample } from "./burst-page.js";

/** PagerDuty Events API v2 severities; with dynamic notifications critical/error page at high urgency. */
export type PageSeverity = "critical" | "error" | "warning" | "info";

/** A sample event as machines get it: the `PageSample` fields, cleaned and length-capped. */
export type PageDocumentSample = PageSample;

/** The `payload` object of a PagerDuty Events API v2 event, so a subscriber can forward it unchanged. */
export interface PagerDutyPayload {
  readonly summary: string;
  readonly source: string;
  readonly severity: PageSeverity;
  readonly timestamp: string;
  readonly component: Hook;
  readonly group: string;
  readonly class: string;
  readonly custom_details: Readonly<Record<string, unknown>>;
}

/**
 * The page for machines. `dedup_key`, `event_action`, `client` and `payload` are PagerDuty Events API v2
 * fields (a forwarder adds its `routing_key`); the other top-level fields are hookwatch's own, flat for
 * filters and scripts.
 */
export interface PageDocument {
  readonly dedup_key: string;
  readonly event_action: "trigger" | "resolve";
  readonly severity: PageSeverity;
  readonly summary: string;
  readonly source: string;
  readonly hook: Hook;
  readonly app_id: string;
  readonly window_start: string;
  readonly window_end: string;
  readonly counts_by_reason: Readonly<Record<string, number>>;
  readonly sample_events: readonly PageDocumentSample[];
  readonly delayed: boolean;
  readonly transport_count: number;
  readonly response_count: number;
  readonly threshold: number;
  readonly window_seconds: number;
  readonly quiet_seconds: number;
  readonly first_failure_at: string;
  readonly last_failure_at: string;
  /** When hookwatch opened (trigger) or resolved (resolve) the burst. */
  readonly timestamp: string;
  readonly client: "hookwatch";
  readonly payload: PagerDutyPayload;
}

export type PageAttributeName = "event_action" | "hook" | "app_id" | "severity";

export interface FormattedPage {
  /** SNS Subject: ASCII only, fewer than 100 characters, no line breaks. */
  readonly subject: string;
  /** For people (email, and SNS `default`). */
  readonly text: string;
  /** One SMS segment: ASCII, at most 140 characters. */
  readonly sms: string;
  readonly document: PageDocument;
  /** SNS message attributes, for subscription filter policies. */
  readonly attributes: Readonly<Record<PageAttributeName, string>>;
}

// SNS: Subject "less than 100 characters"; one SMS segment holds 140 ASCII characters.
export const SUBJECT_MAX_LENGTH = 99;
export const SMS_MAX_LENGTH = 140;
// PagerDuty Events API v2: payload.summary is at most 1024 characters.
export const SUMMARY_MAX_LENGTH = 1024;
export const MAX_SAMPLES = 5;
const MAX_REASONS = 20;
// Prelude ids are ~30 characters (`usr_` + ULID). With these caps the worst page (every value quotes,
// escaped twice, in six protocol copies) publishes ~225 KB, under SNS's 256 KiB.
const MAX_VALUE_LENGTH = 64;
const MAX_REASON_LENGTH = 48;
const MAX_APP_ID_LENGTH = 128;
// PagerDuty's dedup_key limit; on-call search by it, so the text must show it whole.
const MAX_DEDUP_KEY_LENGTH = 255;
const LABEL_WIDTH = 16;
const OTHER_REASONS_KEY = "(other reasons)";

const PAGED_REASONS: readonly string[] = TRANSPORT_REASONS;

const STEP_UP_FIELDS = ["user_id", "session_id", "scope"] as const;

const HOOK_IMPACT: Record<Hook, readonly string[]> = {
  migration: [
    "Prelude calls it to look up legacy users while they migrate:",
    "those sign-ins fail while it is down.",
  ],
  "step-up": ["Prelude calls it to decide on sensitive actions:", "those actions fail while it is down."],
};

export function formatPage(page: BurstPage): FormattedPage {
  const severity = severityOf(page);
  const document = buildDocument(page, severity);
  return {
    subject: buildSubject(page),
    text: page.action === "trigger" ? buildTriggerText(page) : buildResolveText(page),
    sms: buildSms(page),
    document,
    attributes: {
      event_action: page.action,
      hook: page.hook,
      app_id: cleanText(page.appId, MAX_APP_ID_LENGTH) || "unknown",
      severity,
    },
  };
}

/** A live outage wakes someone (high urgency); a past one found late is worth a look, not a wake-up. */
export function severityOf(page: BurstPage): PageSeverity {
  if (page.action === "resolve") return "info";
  return page.delayed ? "warning" : "critical";
}

function buildSubject(page: BurstPage): string {
  const failures = `${page.transportCount} transport failures`;
  const delayed = page.delayed ? "[delayed] " : "";
  const hook = hookLabel(page.hook);
  if (page.action === "resolve") {
    const lasted = formatDuration(durationMs(page.firstFailureAt, page.lastFailureAt));
    return fitAscii(
      [(app) => `hookwatch: resolved: ${delayed}${hook} for app ${app} (${failures} over ${lasted})`],
      page.appId,
      SUBJECT_MAX_LENGTH,
    );
  }
  const verb = page.delayed ? "failed" : "failing";
  const window = formatDuration(page.windowSeconds * 1000);
  return fitAscii(
    [(app) => `hookwatch: ${delayed}${hook} ${verb} for app ${app} (${failures} in ${window})`],
    page.appId,
    SUBJECT_MAX_LENGTH,
  );
}

function buildSms(page: BurstPage): string {
  const hook = hookLabel(page.hook);
  const failures = `${page.transportCount} transport failures`;
  if (page.action === "resolve") {
    const quiet = formatDuration(page.quietSeconds * 1000);
    const lasted = formatDuration(durationMs(page.firstFailureAt, page.lastFailureAt));
    return fitAscii(
      [
        (app) =>
          `hookwatch: resolved: ${hook} for app ${app}, no transport failure for ${quiet}. ${failures} over ${lasted}.`,
        (app) => `hookwatch: resolved: ${hook} for app ${app}, no transport failure for ${quiet}.`,
      ],
      page.appId,
      SMS_MAX_LENGTH,
    );
  }
  const window = formatDuration(page.windowSeconds * 1000);
  const since = toAscii(withoutMillis(page.firstFailureAt));
  if (page.delayed) {
    return fitAscii(
      [
        (app) =>
          `hookwatch: [delayed] ${hook} failed for app ${app}: ${failures} in ${window} at ${since}. Past burst, already over.`,
        (app) => `hookwatch: [delayed] ${hook} failed for app ${app} at ${since}. Past burst, already over.`,
      ],
      page.appId,
      SMS_MAX_LENGTH,
    );
  }
  return fitAscii(
    [
      (app) =>
        `hookwatch: ${hook} failing for app ${app}: ${failures} in ${window} since ${since}. Check it answers 2xx within 5s.`,
      (app) => `hookwatch: ${hook} failing for app ${app}: ${failures} in ${window} since ${since}.`,
      (app) => `hookwatch: ${hook} failing for app ${app}: ${failures} in ${window}.`,
    ],
    page.appId,
    SMS_MAX_LENGTH,
  );
}

function buildTriggerText(page: BurstPage): string {
  const app = cleanText(page.appId, MAX_APP_ID_LENGTH);
  const hook = hookLabel(page.hook);
  const window = formatDuration(page.windowSeconds * 1000);
  const lines: string[] = [];
  if (page.delayed) {
    const late = formatDuration(durationMs(page.lastFailureAt, page.at));
    lines.push(
      `hookwatch: DELAYED PAGE - the ${hook} of app ${app} failed in the past.`,
      "",
      "This burst was detected late: Prelude redelivered a backlog of failures.",
      `They happened between ${clean(page.windowStart)} and ${clean(page.windowEnd)},`,
      `${late} before hookwatch saw them. The burst is already over and is`,
      'resolved at once (a "resolved" message with the same dedup key follows).',
      "Check whether the hook is failing now before acting on this page.",
    );
  } else {
    lines.push(
      `hookwatch: the ${hook} of app ${app} is failing.`,
      "",
      `${page.transportCount} transport failures within ${window}: Prelude's calls to the hook fail.`,
      ...HOOK_IMPACT[page.hook],
    );
  }
  lines.push(
    "",
    field("Hook", page.hook),
    field("App", app),
    field(
      "Failures",
      `${page.transportCount} transport in ${window} (threshold ${page.threshold} in ${window})`,
    ),
    field("Window", `${clean(page.windowStart)} to ${clean(page.windowEnd)}`),
    field("First failure", clean(page.firstFailureAt)),
    field("Last failure", clean(page.lastFailureAt)),
    field(page.delayed ? "Detected at" : "Opened at", clean(page.at)),
    field("Dedup key", cleanText(page.dedupKey, MAX_DEDUP_KEY_LENGTH)),
    "",
    "Failures in the window, by reason",
    ...formatReasonCounts(page),
    "",
    "What the transport reasons mean",
    "  request_failed       no answer: DNS failure, connection refused, TLS error,",
    "                       or no answer within 5 s",
    "  invalid_status_code  the hook answered with a non-2xx HTTP status",
    "  Response-level reasons mean the hook answered 2xx with a body Prelude could",
    "  not use: a misconfigured hook, not a down one. They are stored, not paged.",
    "",
    "Check first",
    "  1. The hook URL answers within 5 s and returns 2xx, from outside your network.",
    "  2. Recent deploys or config changes of the service behind the hook.",
    "  3. Its TLS certificate (expiry, chain) and its DNS record.",
  );
  const samples = page.sampleEvents.slice(0, MAX_SAMPLES);
  if (samples.length > 0) {
    lines.push("", `Sample events (${samples.length} of ${page.transportCount + page.responseCount})`);
    samples.forEach((sample, index) => {
      lines.push(...formatSample(page.hook, sample, index + 1));
    });
  }
  lines.push(
    "",
    "List the stored events of this burst",
    `  ${listEventsCommand(page)}`,
    ...(page.delayed ? [] : ["  npx hookwatch bursts --open"]),
  );
  if (!page.delayed) {
    const quiet = formatDuration(page.quietSeconds * 1000);
    lines.push(
      "",
      `A "resolved" message with the same dedup key follows once no transport failure`,
      `has arrived for ${quiet}. No further page is sent while this burst lasts.`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function buildResolveText(page: BurstPage): string {
  const app = cleanText(page.appId, MAX_APP_ID_LENGTH);
  const hook = hookLabel(page.hook);
  const quiet = formatDuration(page.quietSeconds * 1000);
  const lasted = formatDuration(durationMs(page.firstFailureAt, page.lastFailureAt));
  const lines = [`hookwatch: RESOLVED - the ${hook} of app ${app} stopped failing.`, ""];
  if (page.delayed) {
    lines.push(
      "This closes a delayed page: a past burst, detected late in a redelivered",
      "backlog. It was already over when it was paged.",
    );
  } else {
    lines.push(`No transport failure has arrived for ${quiet}, so the burst is closed.`);
  }
  lines.push("This resolve carries the dedup key of the page it closes.");
  lines.push(
    "",
    field("Hook", page.hook),
    field("App", app),
    field("Failing", `${clean(page.firstFailureAt)} to ${clean(page.lastFailureAt)}`),
    field("Lasted", `${lasted} (first to last transport failure)`),
    field("Window", `${clean(page.windowStart)} to ${clean(page.windowEnd)}`),
    field("Resolved at", clean(page.at)),
    field("Dedup key", cleanText(page.dedupKey, MAX_DEDUP_KEY_LENGTH)),
    "",
    "Totals by reason over the whole burst",
    ...formatReasonCounts(page),
    "",
    "List the stored events of this burst",
    `  ${listEventsCommand(page)}`,
  );
  return `${lines.join("\n")}\n`;
}

function buildDocument(page: BurstPage, severity: PageSeverity): PageDocument {
  const appId = cleanText(page.appId, MAX_APP_ID_LENGTH) || "unknown";
  const source = `hookwatch/${appId}/${page.hook}`;
  const summary = buildSummary(page, appId);
  const countsByReason = capReasonCounts(page.countsByReason);
  const sampleEvents = page.sampleEvents
    .slice(0, MAX_SAMPLES)
    .map((sample) => cleanSample(page.hook, sample));
  return {
    dedup_key: page.dedupKey,
    event_action: page.action,
    severity,
    summary,
    source,
    hook: page.hook,
    app_id: appId,
    window_start: page.windowStart,
    window_end: page.windowEnd,
    counts_by_reason: countsByReason,
    sample_events: sampleEvents,
    delayed: page.delayed,
    transport_count: page.transportCount,
    response_count: page.responseCount,
    threshold: page.threshold,
    window_seconds: page.windowSeconds,
    quiet_seconds: page.quietSeconds,
    first_failure_at: page.firstFailureAt,
    last_failure_at: page.lastFailureAt,
    timestamp: page.at,
    client: "hookwatch",
    payload: {
      summary,
      source,
      severity,
      timestamp: page.at,
      component: page.hook,
      group: appId,
      class: "hook transport failure",
      custom_details: {
        delayed: page.delayed,
        window_start: page.windowStart,
        window_end: page.windowEnd,
        first_failure_at: page.firstFailureAt,
        last_failure_at: page.lastFailureAt,
        transport_count: page.transportCount,
        response_count: page.responseCount,
        threshold: page.threshold,
        window_seconds: page.windowSeconds,
        counts_by_reason: countsByReason,
        sample_events: sampleEvents,
        list_events: listEventsCommand(page),
      },
    },
  };
}

/** The PagerDuty incident title: only the paged reasons are named, so webhook data cannot crowd it. */
function buildSummary(page: BurstPage, appId: string): string {
  const hook = hookLabel(page.hook);
  const transport = PAGED_REASONS.filter((reason) => page.countsByReason[reason] !== undefined)
    .map((reason) => `${reason} ${page.countsByReason[reason]}`)
    .join(", ");
  const details = `${transport}; ${page.responseCount} response-level, not paged`;
  const window = `${page.windowStart} to ${page.windowEnd}`;
  const failures = `${page.transportCount} transport failures`;
  const within = formatDuration(page.windowSeconds * 1000);
  let text: string;
  if (page.action === "resolve") {
    const lasted = formatDuration(durationMs(page.firstFailureAt, page.lastFailureAt));
    text = `Resolved: ${hook} for app ${appId}, ${failures} over ${lasted} (${details}), ${window}`;
  } else if (page.delayed) {
    text = `Delayed, already over: ${hook} failed for app ${appId}, ${failures} in ${within} (${details}), ${window}`;
  } else {
    text = `${hook} failing for app ${appId}: ${failures} in ${within} (${details}), ${window}`;
  }
  return cleanText(text, SUMMARY_MAX_LENGTH);
}

interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

/** Transport reasons first (in a fixed order), then the rest by count; the tail folded into one entry. */
function sortReasonCounts(counts: Readonly<Record<string, number>>): {
  readonly paged: readonly ReasonCount[];
  readonly stored: readonly ReasonCount[];
  readonly omitted: ReasonCount | undefined;
} {
  const entries = Object.entries(counts).map(([reason, count]) => ({ reason, count }));
  const paged = PAGED_REASONS.flatMap((reason) => entries.filter((entry) => entry.reason === reason));
  const rest = entries
    .filter((entry) => !PAGED_REASONS.includes(entry.reason))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const room = Math.max(0, MAX_REASONS - paged.length);
  const stored = rest
    .slice(0, room)
    .map((entry) => ({ ...entry, reason: cleanText(entry.reason, MAX_REASON_LENGTH) }));
  const tail = rest.slice(room);
  const omitted =
    tail.length > 0
      ? { reason: OTHER_REASONS_KEY, count: tail.reduce((sum, entry) => sum + entry.count, 0) }
      : undefined;
  return { paged, stored, omitted };
}

function capReasonCounts(counts: Readonly<Record<string, number>>): Record<string, number> {
  const { paged, stored, omitted } = sortReasonCounts(counts);
  const capped: Record<string, number> = {};
  for (const { reason, count } of [...paged, ...stored, ...(omitted ? [omitted] : [])]) {
    capped[reason] = (capped[reason] ?? 0) + count;
  }
  return capped;
}

function formatReasonCounts(page: BurstPage): string[] {
  const { paged, stored, omitted } = sortReasonCounts(page.countsByReason);
  const storedRows = omitted ? [...stored, omitted] : stored;
  const groups = [
    { title: "Transport (paged)", total: page.transportCount, rows: paged },
    { title: "Response-level (stored, not paged)", total: page.responseCount, rows: storedRows },
  ];
  const labels = groups.flatMap((group) => [group.title, ...group.rows.map((row) => `  ${row.reason}`)]);
  const numbers = groups.flatMap((group) => [group.total, ...group.rows.map((row) => row.count)]);
  const labelWidth = Math.max(...labels.map((label) => label.length)) + 2;
  const numberWidth = Math.max(...numbers.map((count) => String(count).length));
  const row = (label: string, count: number) =>
    `  ${label.padEnd(labelWidth)}${String(count).padStart(numberWidth)}`;
  return groups.flatMap((group) => [
    row(group.title, group.total),
    ...group.rows.map((entry) => row(`  ${entry.reason}`, entry.count)),
  ]);
}

function formatSample(hook: Hook, sample: PageSample, position: number): string[] {
  const cleaned = cleanSample(hook, sample);
  const indent = "     ";
  const rows = [
    `  ${position}. ${cleaned.occurred_at}  ${cleaned.reason}`,
    `${indent}${"dispatch_id".padEnd(LABEL_WIDTH)}${cleaned.dispatch_id ?? "-"}`,
    `${indent}${"correlation_id".padEnd(LABEL_WIDTH)}${cleaned.correlation_id ?? "-"}`,
  ];
  if (hook === "step-up") {
    for (const name of STEP_UP_FIELDS)
      rows.push(`${indent}${name.padEnd(LABEL_WIDTH)}${cleaned[name] ?? "-"}`);
  }
  return rows;
}

/** The user, session and scope of a step-up call mean nothing for the migration hook: left out there. */
function cleanSample(hook: Hook, sample: PageSample): PageDocumentSample {
  const optional = (value: string | undefined) =>
    value === undefined ? undefined : cleanText(value, MAX_VALUE_LENGTH);
  return {
    key: cleanText(sample.key, MAX_VALUE_LENGTH),
    reason: cleanText(sample.reason, MAX_REASON_LENGTH),
    occurred_at: cleanText(sample.occurred_at, MAX_VALUE_LENGTH),
    ...definedOnly({
      dispatch_id: optional(sample.dispatch_id),
      correlation_id: optional(sample.correlation_id),
      ...(hook === "step-up"
        ? {
            user_id: optional(sample.user_id),
            session_id: optional(sample.session_id),
            scope: optional(sample.scope),
          }
        : {}),
    }),
  };
}

function definedOnly<T extends Record<string, string | undefined>>(
  values: T,
): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}

function listEventsCommand(page: BurstPage): string {
  return `npx hookwatch events --hook ${page.hook} --app ${shellWord(page.appId)} --since ${shellWord(page.windowStart)}`;
}

/** Quotes a value for a POSIX shell unless it is plainly safe, so a copied command does what it says. */
export function shellWord(value: string): string {
  const cleaned = cleanText(value, MAX_APP_ID_LENGTH);
  if (/^[\w.:+-]+$/.test(cleaned)) return cleaned;
  return `'${cleaned.replaceAll("'", `'\\''`)}'`;
}

function field(label: string, value: string): string {
  return `${label.padEnd(LABEL_WIDTH)}${value}`;
}

function clean(value: string): string {
  return cleanText(value, MAX_VALUE_LENGTH);
}

// Control characters and bidi overrides in webhook data could forge lines or reorder what a person reads.
const UNSAFE_CHARACTERS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Safe for a person to read: no control characters, at most `max` code points (ellipsis if cut). */
function cleanText(value: string, max: number): string {
  const points = Array.from(value.replace(UNSAFE_CHARACTERS, "?").trim());
  return points.length <= max ? points.join("") : `${points.slice(0, max - 1).join("")}…`;
}

/** Printable ASCII: accents dropped (é → e), anything else shown as `?`. */
function toAscii(value: string): string {
  return value
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\x20-\x7e]/gu, "?")
    .trim();
}

/**
 * The first variant that fits `max` with the whole app id; else the last variant with the app id shortened
 * (an app id is the only unbounded part), and as a last resort the line cut.
 */
function fitAscii(variants: readonly ((app: string) => string)[], appId: string, max: number): string {
  const app = toAscii(appId) || "?";
  for (const variant of variants) {
    const line = variant(app);
    if (line.length <= max) return line;
  }
  const last = variants[variants.length - 1] ?? ((value: string) => value);
  const overflow = last(app).length - max;
  const keep = app.length - overflow - 3;
  const shortened = keep >= 4 ? last(`${app.slice(0, keep)}...`) : last(app);
  return shortened.length <= max ? shortened : `${shortened.slice(0, max - 3)}...`;
}

function withoutMillis(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

function durationMs(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

/** `45s`, `90s`, `12m 5s`, `2h 3m`, `3d 4h`; `unknown` for unreadable times. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown";
  const seconds = Math.round(ms / 1000);
  // Windows are configured in seconds: "60s" reads as configured, "1m" would not.
  if (seconds < 120) return `${seconds}s`;
  const units: readonly [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ];
  const index = units.findIndex(([, size]) => seconds >= size);
  const [bigName, bigSize] = units[index] ?? ["s", 1];
  const big = Math.floor(seconds / bigSize);
  const next = units[index + 1];
  if (!next) return `${big}${bigName}`;
  const small = Math.floor((seconds % bigSize) / next[1]);
  return small === 0 ? `${big}${bigName}` : `${big}${bigName} ${small}${next[0]}`;
}
