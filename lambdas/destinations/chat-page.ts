import type { PageDocument } from "../pages/page-document.js";
import {
  CHECK_FIRST_STEPS,
  HOOK_IMPACT,
  joinLines,
  TRANSPORT_REASON_MEANINGS,
} from "../pages/page-guidance.js";
import { MAX_APP_ID_LENGTH, MAX_DEDUP_KEY_LENGTH, SUMMARY_MAX_LENGTH } from "../pages/page-limits.js";
import { listEventsCommand } from "../pages/page-links.js";
import { clean, cleanText, durationMs, formatDuration } from "../pages/plain-text.js";
import { formatReasonCounts } from "../pages/reason-counts.js";
import { hookLabel } from "../runtime/hooks.js";

/**
 * What a chat message says about a page, whatever the chat: Slack and Teams lay out the same content. It is
 * read from the page's JSON document (what the paging topic delivers) and cleaned again here, because the
 * document arrives over the wire: every value is capped so a message always fits its chat's limits.
 */

/** `test`: a page `npx hookwatch selftest --page` sent; no hook is failing. */
export type ChatTone = "live" | "delayed" | "resolved" | "test";

export interface ChatFact {
  readonly label: string;
  readonly value: string;
  /** A value from the webhook or a key on-call copies (app id, dedup key): shown verbatim, never formatted. */
  readonly verbatim: boolean;
}

export interface ChatPage {
  readonly tone: ChatTone;
  /** One line: what happened to which hook of which app. */
  readonly title: string;
  /** The PagerDuty summary from the document: for notifications and previews. */
  readonly summary: string;
  readonly opening: readonly string[];
  readonly facts: readonly ChatFact[];
  readonly countsTitle: string;
  /** Aligned rows for monospace text. */
  readonly countRows: readonly string[];
  /** What the transport reasons mean (triggers only). */
  readonly reasonMeanings: readonly string[];
  /** What to check first, in order (triggers only). */
  readonly checkFirst: readonly string[];
  readonly commandsTitle: string;
  readonly commands: readonly string[];
  readonly runbookUrl: string | undefined;
  readonly footer: string;
}

// Slack's button URL limit (3,000) is the tighter of the two chats'.
const MAX_RUNBOOK_URL_LENGTH = 3000;

export function readChatPage(document: PageDocument): ChatPage {
  const app = cleanText(document.app_id, MAX_APP_ID_LENGTH) || "unknown";
  const trigger = document.event_action !== "resolve";
  const tone: ChatTone = document.test
    ? "test"
    : !trigger
      ? "resolved"
      : document.delayed
        ? "delayed"
        : "live";
  const command = listEventsCommand({ hook: document.hook, appId: app, windowStart: document.window_start });
  return {
    tone,
    title: titleOf(document, tone, app),
    summary: cleanText(document.summary, SUMMARY_MAX_LENGTH),
    opening: openingOf(document, tone),
    facts: trigger ? triggerFacts(document, app) : resolveFacts(document, app),
    countsTitle: trigger ? "Failures in the window, by reason" : "Totals by reason over the whole burst",
    countRows: formatReasonCounts({
      countsByReason: document.counts_by_reason,
      transportCount: document.transport_count,
      responseCount: document.response_count,
    }),
    reasonMeanings: trigger
      ? TRANSPORT_REASON_MEANINGS.map(({ reason, lines }) => `${reason}: ${joinLines(lines)}`)
      : [],
    checkFirst: trigger ? CHECK_FIRST_STEPS : [],
    commandsTitle: "List the stored events of this burst",
    commands: tone === "live" ? [command, "npx hookwatch bursts --open"] : [command],
    runbookUrl: runbookOf(document),
    footer: footerOf(document, tone),
  };
}

function titleOf(document: PageDocument, tone: ChatTone, app: string): string {
  const hook = hookLabel(document.hook);
  if (tone === "test") {
    const what = document.event_action === "resolve" ? "TEST resolve" : "TEST page";
    return `${what} from hookwatch selftest for app ${app}: no action needed`;
  }
  if (tone === "resolved") return `Resolved: ${hook} for app ${app}`;
  if (tone === "delayed") return `Delayed page: ${hook} failed for app ${app}`;
  return `${hook} failing for app ${app}`;
}

function openingOf(document: PageDocument, tone: ChatTone): string[] {
  if (tone === "test") {
    return [
      "No hook is failing: `npx hookwatch selftest --page` sent this to check that pages reach this channel.",
    ];
  }
  const window = formatDuration(document.window_seconds * 1000);
  const quiet = formatDuration(document.quiet_seconds * 1000);
  if (tone === "live") {
    return [
      `${document.transport_count} transport failures within ${window}: Prelude's calls to the hook fail.`,
      // A document from the wire may name a hook this version does not know: then no impact line.
      ...(HOOK_IMPACT[document.hook] ? [joinLines(HOOK_IMPACT[document.hook])] : []),
    ];
  }
  if (tone === "delayed") {
    const late = formatDuration(durationMs(document.last_failure_at, document.timestamp));
    return [
      `Detected late, in a backlog Prelude redelivered: these failures happened ${late} before hookwatch saw them.`,
      "The burst is already over and resolves at once. Check whether the hook is failing now before acting on this page.",
    ];
  }
  const closes = document.delayed
    ? "This closes a delayed page: a past burst, detected late in a redelivered backlog."
    : `No transport failure has arrived for ${quiet}, so the burst is closed.`;
  return [
    closes,
    `It resolves the page posted for this burst, failing since ${clean(document.first_failure_at)}, under the same dedup key.`,
  ];
}

function triggerFacts(document: PageDocument, app: string): ChatFact[] {
  const window = formatDuration(document.window_seconds * 1000);
  return [
    { label: "Hook", value: clean(document.hook), verbatim: false },
    { label: "App", value: app, verbatim: true },
    {
      label: "Failures",
      value: `${document.transport_count} transport in ${window} (threshold ${document.threshold} in ${window})`,
      verbatim: false,
    },
    { label: "Window", value: windowOf(document), verbatim: false },
    {
      label: document.delayed ? "Detected at" : "Opened at",
      value: clean(document.timestamp),
      verbatim: false,
    },
    { label: "Dedup key", value: cleanText(document.dedup_key, MAX_DEDUP_KEY_LENGTH), verbatim: true },
  ];
}

function resolveFacts(document: PageDocument, app: string): ChatFact[] {
  const lasted = formatDuration(durationMs(document.first_failure_at, document.last_failure_at));
  return [
    { label: "Hook", value: clean(document.hook), verbatim: false },
    { label: "App", value: app, verbatim: true },
    {
      label: "Failing",
      value: `${clean(document.first_failure_at)} to ${clean(document.last_failure_at)}`,
      verbatim: false,
    },
    { label: "Lasted", value: `${lasted} (first to last transport failure)`, verbatim: false },
    { label: "Window", value: windowOf(document), verbatim: false },
    { label: "Resolved at", value: clean(document.timestamp), verbatim: false },
    { label: "Dedup key", value: cleanText(document.dedup_key, MAX_DEDUP_KEY_LENGTH), verbatim: true },
  ];
}

function windowOf(document: PageDocument): string {
  return `${clean(document.window_start)} to ${clean(document.window_end)}`;
}

function footerOf(document: PageDocument, tone: ChatTone): string {
  if (tone === "test") return "hookwatch: a test page; its resolve follows with the same dedup key.";
  if (tone === "resolved")
    return "hookwatch: search this channel for the dedup key to find the page it resolves.";
  if (tone === "delayed") return 'hookwatch: a "resolved" message with the same dedup key follows at once.';
  const quiet = formatDuration(document.quiet_seconds * 1000);
  return `hookwatch: a "resolved" message with the same dedup key follows once no transport failure has arrived for ${quiet}. No further page is sent while this burst lasts.`;
}

/** Only a plain http(s) URL becomes a button; anything else is left out rather than sent as a broken link. */
function runbookOf(document: PageDocument): string | undefined {
  const url = document.runbook_url;
  if (url === undefined || url.length > MAX_RUNBOOK_URL_LENGTH || !/^https?:\/\/[^\s<>"|]+$/.test(url)) {
    return undefined;
  }
  return url;
}
