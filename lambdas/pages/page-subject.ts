import { hookLabel } from "../runtime/hooks.js";
import type { BurstPage } from "./burst-page.js";
import { SMS_MAX_LENGTH, SUBJECT_MAX_LENGTH } from "./page-limits.js";
import { durationMs, fitAscii, formatDuration, toAscii, withoutMillis } from "./plain-text.js";
import { buildReminderSms, buildReminderSubject } from "./reminder-wording.js";
import { buildStormSms, buildStormSubject } from "./storm-wording.js";

/** The one-line forms of a page: the SNS subject and the single SMS segment, both ASCII. */

export function buildSubject(page: BurstPage): string {
  if (page.kind === "response_storm") return buildStormSubject(page);
  if (page.reminder !== undefined) return buildReminderSubject(page, page.reminder);
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

export function buildSms(page: BurstPage): string {
  if (page.kind === "response_storm") return buildStormSms(page);
  if (page.reminder !== undefined) return buildReminderSms(page, page.reminder);
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
