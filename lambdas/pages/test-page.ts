import type { BurstPage } from "./burst-page.js";
import { type FormattedPage, formatPage } from "./page-format.js";
import { MAX_APP_ID_LENGTH, SMS_MAX_LENGTH, SUBJECT_MAX_LENGTH } from "./page-limits.js";
import { cleanText, field, fitAscii } from "./plain-text.js";

/**
 * The test page `npx hookwatch selftest --page` sends: a trigger and its resolve, shaped exactly like a
 * live burst's (same attributes and severity, so subscription filters route it the same way, and a
 * PagerDuty forwarder opens and closes an incident), with every line a person reads saying it is a test.
 */
export interface TestPageOptions {
  readonly action: "trigger" | "resolve";
  /** Shared by the trigger and its resolve; unique per run, so it never touches a real incident. */
  readonly dedupKey: string;
  readonly appId: string;
  /** When the self-test sent it, ISO. */
  readonly at: string;
  /** Who ran the self-test and from where, e.g. `arn:aws:sts::…:assumed-role/ops/alice`. */
  readonly sentBy: string;
}

export function formatTestPage(options: TestPageOptions): FormattedPage {
  const formatted = formatPage(testBurst(options));
  const app = cleanText(options.appId, MAX_APP_ID_LENGTH);
  const what = options.action === "trigger" ? "TEST page" : "TEST resolve";
  const summary = `${what} from hookwatch selftest for app ${app}: no hook is failing, no action needed`;
  return {
    ...formatted,
    subject: fitAscii(
      [(id) => `hookwatch: ${what} for app ${id}, no action needed`],
      options.appId,
      SUBJECT_MAX_LENGTH,
    ),
    sms: fitAscii(
      [(id) => `hookwatch: ${what} from selftest for app ${id}. No hook is failing; no action needed.`],
      options.appId,
      SMS_MAX_LENGTH,
    ),
    text: testText(options, app, what),
    document: {
      ...formatted.document,
      summary,
      test: true,
      payload: { ...formatted.document.payload, summary, class: "hookwatch self-test" },
    },
  };
}

function testBurst(options: TestPageOptions): BurstPage {
  return {
    action: options.action,
    dedupKey: options.dedupKey,
    appId: options.appId,
    hook: "migration",
    delayed: false,
    windowStart: options.at,
    windowEnd: options.at,
    firstFailureAt: options.at,
    lastFailureAt: options.at,
    transportCount: 0,
    countsByReason: {},
    responseCount: 0,
    threshold: 0,
    windowSeconds: 0,
    quietSeconds: 0,
    sampleEvents: [],
    at: options.at,
  };
}

function testText(options: TestPageOptions, app: string, what: string): string {
  const follows =
    options.action === "trigger"
      ? ["A TEST resolve with the same dedup key follows at once."]
      : ["This closes the TEST page with the same dedup key."];
  return `${[
    `hookwatch: ${what} - no hook is failing, no action is needed.`,
    "",
    "Someone ran `npx hookwatch selftest --page` to check that pages reach you.",
    "It went through the same topic, attributes and severity as a real page.",
    ...follows,
    "",
    field("App", app),
    field("Sent at", options.at),
    field("Sent by", cleanText(options.sentBy, 200)),
    field("Dedup key", options.dedupKey),
  ].join("\n")}\n`;
}
