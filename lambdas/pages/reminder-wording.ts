import { hookLabel } from "../runtime/hooks.js";
import type { BurstPage, PageReminder } from "./burst-page.js";
import {
  MAX_APP_ID_LENGTH,
  MAX_DEDUP_KEY_LENGTH,
  SMS_MAX_LENGTH,
  SUBJECT_MAX_LENGTH,
} from "./page-limits.js";
import { listEventsCommand } from "./page-links.js";
import { clean, cleanText, field, fitAscii, formatDuration, toAscii, withoutMillis } from "./plain-text.js";
import { formatReasonCounts } from "./reason-counts.js";

/**
 * A reminder's wording in every channel: a trigger that says it is a reminder, which one, how long the burst
 * has been open and its counts so far. It carries the page's dedup key, so an incident tool folds it in.
 */

const openFor = (reminder: PageReminder) => formatDuration(reminder.openForSeconds * 1000);

export function buildReminderSubject(page: BurstPage, reminder: PageReminder): string {
  const start = `hookwatch: reminder ${reminder.number}: ${hookLabel(page.hook)} still failing`;
  return fitAscii(
    [
      (app) =>
        `${start} for app ${app} (open ${openFor(reminder)}, ${page.transportCount} transport failures)`,
      (app) => `${start} for app ${app} (open ${openFor(reminder)}, ${page.transportCount} failures)`,
    ],
    page.appId,
    SUBJECT_MAX_LENGTH,
  );
}

export function buildReminderSms(page: BurstPage, reminder: PageReminder): string {
  const hook = hookLabel(page.hook);
  const start = `hookwatch: reminder ${reminder.number}: ${hook} still failing`;
  const since = toAscii(withoutMillis(page.firstFailureAt));
  return fitAscii(
    [
      (app) =>
        `${start} for app ${app}, open ${openFor(reminder)} since ${since}: ${page.transportCount} transport failures so far.`,
      (app) =>
        `${start} for app ${app}, open ${openFor(reminder)}: ${page.transportCount} transport failures.`,
      (app) => `${start} for app ${app}, open ${openFor(reminder)}.`,
    ],
    page.appId,
    SMS_MAX_LENGTH,
  );
}

/** The PagerDuty summary of a reminder (the incident keeps the first one's title; this is for the log). */
export function buildReminderSummary(
  page: BurstPage,
  reminder: PageReminder,
  appId: string,
  details: string,
) {
  const window = `${page.windowStart} to ${page.windowEnd}`;
  return `Reminder ${reminder.number}: ${hookLabel(page.hook)} still failing for app ${appId}, open for ${openFor(reminder)}: ${page.transportCount} transport failures so far (${details}), ${window}`;
}

export function buildReminderText(page: BurstPage, reminder: PageReminder): string {
  const app = cleanText(page.appId, MAX_APP_ID_LENGTH);
  const hook = hookLabel(page.hook);
  const quiet = formatDuration(page.quietSeconds * 1000);
  const lines = [
    `hookwatch: REMINDER ${reminder.number} - the ${hook} of app ${app} is still failing.`,
    "",
    `This burst has been open for ${openFor(reminder)}: its last transport failure is less than`,
    `${quiet} old. This reminder repeats the page under the same dedup key.`,
    "",
    field("Hook", page.hook),
    field("App", app),
    field("Reminder", `${reminder.number}, one every ${formatDuration(reminder.everyMinutes * 60_000)}`),
    field("Open for", `${openFor(reminder)} (since the first failure)`),
    field("Failing", `${clean(page.firstFailureAt)} to ${clean(page.lastFailureAt)}`),
    field("Failures", `${page.transportCount} transport so far`),
    field("Reminded at", clean(page.at)),
    field("Dedup key", cleanText(page.dedupKey, MAX_DEDUP_KEY_LENGTH)),
    "",
    "Failures so far, by reason",
    ...formatReasonCounts(page),
    "",
    "List the stored events of this burst",
    `  ${listEventsCommand(page)}`,
    "  npx hookwatch bursts --open",
    "",
    `A "resolved" message with the same dedup key follows once no transport failure`,
    `has arrived for ${quiet}.`,
  ];
  return `${lines.join("\n")}\n`;
}
