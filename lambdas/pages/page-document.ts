import { type Hook, hookLabel } from "../runtime/hooks.js";
import { type BurstPage, type NoticeKind, noticeKind } from "./burst-page.js";
import { MAX_APP_ID_LENGTH, MAX_SAMPLES, PAGED_REASONS, SUMMARY_MAX_LENGTH } from "./page-limits.js";
import { listEventsCommand, runbookLinks, silenceDetails } from "./page-links.js";
import { cleanSample, type PageDocumentSample } from "./page-samples.js";
import { cleanText, durationMs, formatDuration } from "./plain-text.js";
import { capReasonCounts } from "./reason-counts.js";
import { buildReminderSummary } from "./reminder-wording.js";
import { buildStormSummary } from "./storm-wording.js";

/** The page for machines: hookwatch's JSON document with a PagerDuty Events API v2 payload inside. */

/** PagerDuty Events API v2 severities; with dynamic notifications critical/error page at high urgency. */
export type PageSeverity = "critical" | "error" | "warning" | "info";

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
  /** When hookwatch opened (trigger), reminded of (reminder) or resolved (resolve) the burst. */
  readonly timestamp: string;
  /** `burst`, `reminder` (a repeat of an open burst's trigger) or `response_storm` (a warning). */
  readonly kind: NoticeKind;
  /** On a reminder only: which one, how long the burst has been open, the interval. */
  readonly reminder?: {
    readonly number: number;
    readonly open_for_seconds: number;
    readonly every_minutes: number;
  };
  /** PagerDuty Events API v2 links shown on the incident: the runbook, when configured. */
  readonly links?: readonly { readonly href: string; readonly text: string }[];
  /** The silence that held this page until it ended, when one did. */
  readonly silence?: ReturnType<typeof silenceDetails>;
  readonly client: "hookwatch";
  readonly payload: PagerDutyPayload;
  /** The team's runbook for this hook, when configured (deploy setting `runbookUrl`). */
  readonly runbook_url?: string;
  /** Only on the test pages `npx hookwatch selftest --page` sends: no hook is failing. */
  readonly test?: true;
}

export function buildDocument(page: BurstPage, severity: PageSeverity): PageDocument {
  const appId = cleanText(page.appId, MAX_APP_ID_LENGTH) || "unknown";
  const source = `hookwatch/${appId}/${page.hook}`;
  const summary = buildSummary(page, appId);
  const countsByReason = capReasonCounts(page.countsByReason);
  const sampleEvents = page.sampleEvents
    .slice(0, MAX_SAMPLES)
    .map((sample) => cleanSample(page.hook, sample));
  const reminder =
    page.reminder === undefined
      ? {}
      : {
          reminder: {
            number: page.reminder.number,
            open_for_seconds: page.reminder.openForSeconds,
            every_minutes: page.reminder.everyMinutes,
          },
        };
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
    kind: noticeKind(page),
    ...reminder,
    ...(page.runbookUrl === undefined ? {} : { links: runbookLinks(page) }),
    ...(page.silence === undefined ? {} : { silence: silenceDetails(page.silence) }),
    client: "hookwatch",
    payload: {
      summary,
      source,
      severity,
      timestamp: page.at,
      component: page.hook,
      group: appId,
      class: page.kind === "response_storm" ? "hook response-level failure" : "hook transport failure",
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
        ...reminder,
        ...(page.runbookUrl === undefined ? {} : { runbook_url: page.runbookUrl }),
        ...(page.silence === undefined ? {} : { silence: silenceDetails(page.silence) }),
      },
    },
    ...(page.runbookUrl === undefined ? {} : { runbook_url: page.runbookUrl }),
  };
}

/** The PagerDuty incident title: only the paged reasons are named, so webhook data cannot crowd it. */
export function buildSummary(page: BurstPage, appId: string): string {
  if (page.kind === "response_storm") return cleanText(buildStormSummary(page, appId), SUMMARY_MAX_LENGTH);
  const hook = hookLabel(page.hook);
  const transport = PAGED_REASONS.filter((reason) => page.countsByReason[reason] !== undefined)
    .map((reason) => `${reason} ${page.countsByReason[reason]}`)
    .join(", ");
  const details = `${transport}; ${page.responseCount} response-level, not paged`;
  const window = `${page.windowStart} to ${page.windowEnd}`;
  const failures = `${page.transportCount} transport failures`;
  const within = formatDuration(page.windowSeconds * 1000);
  let text: string;
  if (page.reminder !== undefined) {
    text = buildReminderSummary(page, page.reminder, appId, details);
  } else if (page.action === "resolve") {
    const lasted = formatDuration(durationMs(page.firstFailureAt, page.lastFailureAt));
    text = `Resolved: ${hook} for app ${appId}, ${failures} over ${lasted} (${details}), ${window}`;
  } else if (page.delayed) {
    text = `Delayed, already over: ${hook} failed for app ${appId}, ${failures} in ${within} (${details}), ${window}`;
  } else {
    text = `${hook} failing for app ${appId}: ${failures} in ${within} (${details}), ${window}`;
  }
  return cleanText(text, SUMMARY_MAX_LENGTH);
}
