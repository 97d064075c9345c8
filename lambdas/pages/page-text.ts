import { hookLabel } from "../runtime/hooks.js";
import type { BurstPage } from "./burst-page.js";
import {
  CHECK_FIRST_STEPS,
  HOOK_IMPACT,
  RESPONSE_LEVEL_MEANING,
  TRANSPORT_REASON_MEANINGS,
} from "./page-guidance.js";
import {
  MAX_APP_ID_LENGTH,
  MAX_DEDUP_KEY_LENGTH,
  MAX_RUNBOOK_URL_LENGTH,
  MAX_SAMPLES,
  MAX_SILENCE_REASON_LENGTH,
} from "./page-limits.js";
import { listEventsCommand } from "./page-links.js";
import { formatSample } from "./page-samples.js";
import { clean, cleanText, durationMs, field, formatDuration } from "./plain-text.js";
import { formatReasonCounts } from "./reason-counts.js";

/** The email text of a trigger and of a resolve: what a person reads first. */

export function buildTriggerText(page: BurstPage): string {
  const app = cleanText(page.appId, MAX_APP_ID_LENGTH);
  const window = formatDuration(page.windowSeconds * 1000);
  const lines = [
    ...triggerOpening(page, app, window),
    ...silenceLines(page),
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
    ...TRANSPORT_GLOSSARY,
    "",
    ...CHECK_FIRST,
    ...runbookLines(page),
    ...sampleLines(page),
    "",
    "List the stored events of this burst",
    `  ${listEventsCommand(page)}`,
    ...(page.delayed ? [] : ["  npx hookwatch bursts --open"]),
  ];
  if (!page.delayed) {
    const quiet = formatDuration(page.quietSeconds * 1000);
    const further =
      page.remindEveryMinutes === undefined
        ? "No further page is sent while this burst lasts."
        : `A reminder follows every ${formatDuration(page.remindEveryMinutes * 60_000)} while it lasts.`;
    lines.push(
      "",
      `A "resolved" message with the same dedup key follows once no transport failure`,
      `has arrived for ${quiet}. ${further}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** What happened, in a few sentences: a live outage, or a past one found late in a backlog. */
function triggerOpening(page: BurstPage, app: string, window: string): string[] {
  const hook = hookLabel(page.hook);
  if (page.delayed) {
    const late = formatDuration(durationMs(page.lastFailureAt, page.at));
    return [
      `hookwatch: DELAYED PAGE - the ${hook} of app ${app} failed in the past.`,
      "",
      "This burst was detected late: Prelude redelivered a backlog of failures.",
      `They happened between ${clean(page.windowStart)} and ${clean(page.windowEnd)},`,
      `${late} before hookwatch saw them. The burst is already over and is`,
      'resolved at once (a "resolved" message with the same dedup key follows).',
      "Check whether the hook is failing now before acting on this page.",
    ];
  }
  return [
    `hookwatch: the ${hook} of app ${app} is failing.`,
    "",
    `${page.transportCount} transport failures within ${window}: Prelude's calls to the hook fail.`,
    ...HOOK_IMPACT[page.hook],
  ];
}

/** A page a silence held until it ended: which silence, set by whom and why, so nobody is surprised. */
function silenceLines(page: BurstPage): string[] {
  if (page.silence === undefined) return [];
  const silence = page.silence;
  return [
    "",
    "This page was held by a silence, which is now over; the burst is still open.",
    field("Silence", `${clean(silence.id)} by ${clean(silence.createdBy)}`),
    field("Silenced", `${clean(silence.startsAt)} to ${clean(silence.endsAt)}`),
    field("Because", cleanText(silence.reason, MAX_SILENCE_REASON_LENGTH)),
  ];
}

const TRANSPORT_GLOSSARY = [
  "What the transport reasons mean",
  ...TRANSPORT_REASON_MEANINGS.flatMap(({ reason, lines }) =>
    lines.map((line, index) => `  ${(index === 0 ? reason : "").padEnd(21)}${line}`),
  ),
  ...RESPONSE_LEVEL_MEANING.map((line) => `  ${line}`),
];

const CHECK_FIRST = ["Check first", ...CHECK_FIRST_STEPS.map((step, index) => `  ${index + 1}. ${step}`)];

/** The team's own steps for this hook, right after the generic ones. */
function runbookLines(page: BurstPage): string[] {
  return page.runbookUrl === undefined
    ? []
    : ["", "Runbook", `  ${cleanText(page.runbookUrl, MAX_RUNBOOK_URL_LENGTH)}`];
}

function sampleLines(page: BurstPage): string[] {
  const samples = page.sampleEvents.slice(0, MAX_SAMPLES);
  if (samples.length === 0) return [];
  return [
    "",
    `Sample events (${samples.length} of ${page.transportCount + page.responseCount})`,
    ...samples.flatMap((sample, index) => formatSample(page.hook, sample, index + 1)),
  ];
}

export function buildResolveText(page: BurstPage): string {
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
    ...runbookLines(page),
  );
  return `${lines.join("\n")}\n`;
}
