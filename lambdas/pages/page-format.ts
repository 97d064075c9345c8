import { type BurstPage, noticeKind } from "./burst-page.js";
import { buildDocument, type PageDocument, type PageSeverity } from "./page-document.js";
import { MAX_APP_ID_LENGTH } from "./page-limits.js";
import { buildSms, buildSubject } from "./page-subject.js";
import { buildResolveText, buildTriggerText } from "./page-text.js";
import { cleanText } from "./plain-text.js";
import { buildReminderText } from "./reminder-wording.js";
import { buildStormText } from "./storm-wording.js";

/**
 * The pages room owns what on-call reads and how it leaves hookwatch: the `BurstPage` a burst hands over,
 * its wording for people (subject, SMS, email text) and for machines (the JSON document with its PagerDuty
 * payload), and the `Pager`s that publish it (SNS). Every value that came from a webhook is cleaned and
 * capped here, so a page always fits its channel. It never decides whether to page (the bursts room does)
 * and never reads or writes a table.
 */

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

export type PageAttributeName = "event_action" | "hook" | "app_id" | "severity" | "kind";

export function formatPage(page: BurstPage): FormattedPage {
  const severity = severityOf(page);
  const document = buildDocument(page, severity);
  return {
    subject: buildSubject(page),
    text: buildText(page),
    sms: buildSms(page),
    document,
    attributes: {
      event_action: page.action,
      hook: page.hook,
      app_id: cleanText(page.appId, MAX_APP_ID_LENGTH) || "unknown",
      severity,
      kind: noticeKind(page),
    },
  };
}

function buildText(page: BurstPage): string {
  if (page.kind === "response_storm") return buildStormText(page);
  if (page.reminder !== undefined) return buildReminderText(page, page.reminder);
  return page.action === "trigger" ? buildTriggerText(page) : buildResolveText(page);
}

/**
 * A live outage wakes someone (high urgency); a past one found late is worth a look, not a wake-up, and so
 * is a hook that answers unusable bodies (a response storm is never critical).
 */
export function severityOf(page: BurstPage): PageSeverity {
  if (page.action === "resolve") return "info";
  if (page.kind === "response_storm") return "warning";
  return page.delayed ? "warning" : "critical";
}
