import type { BurstPage, PageSilence } from "./burst-page.js";
import { MAX_SILENCE_REASON_LENGTH } from "./page-limits.js";
import { clean, cleanText, shellWord } from "./plain-text.js";

/** Where a page points on-call next. */

/** The burst a command points at: a `BurstPage`, or the same three values read from a page's JSON document. */
export type BurstTarget = Pick<BurstPage, "hook" | "appId" | "windowStart">;

export function listEventsCommand(target: BurstTarget): string {
  return `npx hookwatch events --hook ${target.hook} --app ${shellWord(target.appId)} --since ${shellWord(target.windowStart)}`;
}

/** The runbook, as PagerDuty Events API v2 `links` show it on the incident; none when not configured. */
export function runbookLinks(page: BurstPage): { href: string; text: string }[] {
  return page.runbookUrl === undefined ? [] : [{ href: page.runbookUrl, text: `Runbook: ${page.hook} hook` }];
}

/** The silence a page names, cleaned for the document: an operator typed the reason. */
export function silenceDetails(silence: PageSilence) {
  return {
    id: clean(silence.id),
    reason: cleanText(silence.reason, MAX_SILENCE_REASON_LENGTH),
    created_by: clean(silence.createdBy),
    starts_at: clean(silence.startsAt),
    ends_at: clean(silence.endsAt),
  };
}
