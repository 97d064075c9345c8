import { type Hook, hookLabel } from "../runtime/hooks.js";
import type { BurstPage } from "./burst-page.js";
import {
  MAX_APP_ID_LENGTH,
  MAX_DEDUP_KEY_LENGTH,
  MAX_SAMPLES,
  SMS_MAX_LENGTH,
  SUBJECT_MAX_LENGTH,
} from "./page-limits.js";
import { listEventsCommand } from "./page-links.js";
import { formatSample } from "./page-samples.js";
import { clean, cleanText, durationMs, field, fitAscii, formatDuration } from "./plain-text.js";
import { sortReasonCounts } from "./reason-counts.js";

/**
 * A response-level storm's wording in every channel: the hook answers, but with bodies Prelude cannot use,
 * so its users fail as surely as if it were down. A `warning` (never `critical`) with a dedup key of its
 * own, so routing can keep it off the pager; the storm's count is `responseCount`.
 */

const HOOK_EFFECT: Record<Hook, string> = {
  migration: "legacy users cannot sign in while it lasts",
  "step-up": "sensitive actions fail while it lasts",
};

export function buildStormSubject(page: BurstPage): string {
  const hook = hookLabel(page.hook);
  if (page.action === "resolve") {
    const lasted = formatDuration(durationMs(page.firstFailureAt, page.lastFailureAt));
    return fitAscii(
      [
        (app) =>
          `hookwatch: resolved warning: ${hook} for app ${app} (${page.responseCount} response-level failures over ${lasted})`,
        (app) => `hookwatch: resolved warning: ${hook} for app ${app} (${page.responseCount} over ${lasted})`,
      ],
      page.appId,
      SUBJECT_MAX_LENGTH,
    );
  }
  const window = formatDuration(page.windowSeconds * 1000);
  return fitAscii(
    [
      (app) =>
        `hookwatch: warning: ${hook} answers unusable bodies for app ${app} (${page.responseCount} response-level in ${window})`,
      (app) =>
        `hookwatch: warning: ${hook} unusable bodies for app ${app} (${page.responseCount} in ${window})`,
    ],
    page.appId,
    SUBJECT_MAX_LENGTH,
  );
}

export function buildStormSms(page: BurstPage): string {
  const hook = hookLabel(page.hook);
  if (page.action === "resolve") {
    return fitAscii(
      [
        (app) =>
          `hookwatch: resolved warning: ${hook} for app ${app}, no response-level failure for ${formatDuration(page.quietSeconds * 1000)}.`,
        (app) => `hookwatch: resolved warning: ${hook} for app ${app}.`,
      ],
      page.appId,
      SMS_MAX_LENGTH,
    );
  }
  const window = formatDuration(page.windowSeconds * 1000);
  return fitAscii(
    [
      (app) =>
        `hookwatch: warning: ${hook} for app ${app} answers bodies Prelude cannot use: ${page.responseCount} in ${window}.`,
      (app) => `hookwatch: warning: ${hook} for app ${app}: ${page.responseCount} response-level failures.`,
    ],
    page.appId,
    SMS_MAX_LENGTH,
  );
}

/** The PagerDuty summary: the most frequent reasons by name (capped and cleaned), then the window. */
export function buildStormSummary(page: BurstPage, appId: string): string {
  const hook = hookLabel(page.hook);
  const top = sortReasonCounts(page.countsByReason)
    .stored.slice(0, 3)
    .map((entry) => `${entry.reason} ${entry.count}`)
    .join(", ");
  const window = `${page.windowStart} to ${page.windowEnd}`;
  const failures = `${page.responseCount} response-level failures`;
  if (page.action === "resolve") {
    return `Resolved warning: ${hook} responses for app ${appId}, ${failures} (${top}), ${window}`;
  }
  const within = formatDuration(page.windowSeconds * 1000);
  return `Warning: ${hook} answers unusable responses for app ${appId}: ${failures} in ${within} (${top}), ${window}`;
}

export function buildStormText(page: BurstPage): string {
  const app = cleanText(page.appId, MAX_APP_ID_LENGTH);
  const hook = hookLabel(page.hook);
  const window = formatDuration(page.windowSeconds * 1000);
  const quiet = formatDuration(page.quietSeconds * 1000);
  const resolve = page.action === "resolve";
  const opening = resolve
    ? [
        `hookwatch: RESOLVED WARNING - the ${hook} of app ${app} answers usable responses again.`,
        "",
        `No response-level failure has arrived for ${quiet}, so the warning is closed.`,
      ]
    : [
        `hookwatch: WARNING - the ${hook} of app ${app} answers with bodies Prelude cannot use.`,
        "",
        `${page.responseCount} response-level failures within ${window}: the hook is up and answers 2xx,`,
        `but Prelude rejects what it says, so ${HOOK_EFFECT[page.hook]}.`,
        "This is a warning, not a page: hookwatch pages only when the hook is down.",
      ];
  const lines = [
    ...opening,
    "",
    field("Hook", page.hook),
    field("App", app),
    field(
      "Failures",
      `${page.responseCount} response-level${resolve ? "" : ` (threshold ${page.threshold} in ${window})`}`,
    ),
    field("Failing", `${clean(page.firstFailureAt)} to ${clean(page.lastFailureAt)}`),
    field(resolve ? "Resolved at" : "Opened at", clean(page.at)),
    field("Dedup key", cleanText(page.dedupKey, MAX_DEDUP_KEY_LENGTH)),
    "",
    "Response-level failures by reason",
    ...reasonLines(page),
    ...(resolve ? [] : ["", ...CHECK_FIRST, ...sampleLines(page)]),
    "",
    "List the stored events",
    `  ${listEventsCommand(page)}`,
    ...(resolve
      ? []
      : [
          "",
          `A "resolved" warning with the same dedup key follows once no response-level`,
          `failure has arrived for ${quiet}.`,
        ]),
  ];
  return `${lines.join("\n")}\n`;
}

const CHECK_FIRST = [
  "Check first",
  "  1. Recent deploys of the service behind the hook: did the response format change?",
  "  2. The reasons above against Prelude's hook contract (required fields, status values).",
];

function reasonLines(page: BurstPage): string[] {
  const { stored, omitted } = sortReasonCounts(page.countsByReason);
  const rows = omitted ? [...stored, omitted] : stored;
  const width = Math.max(0, ...rows.map((row) => row.reason.length)) + 2;
  return rows.map((row) => `  ${row.reason.padEnd(width)}${row.count}`);
}

function sampleLines(page: BurstPage): string[] {
  const samples = page.sampleEvents.slice(0, MAX_SAMPLES);
  if (samples.length === 0) return [];
  return [
    "",
    `Sample events (${samples.length} of ${page.responseCount})`,
    ...samples.flatMap((sample, index) => formatSample(page.hook, sample, index + 1)),
  ];
}
