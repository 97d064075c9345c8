import type { BurstPage } from "./burst-page.js";
import { shellWord } from "./plain-text.js";

/** Where a page points on-call next. */

export function listEventsCommand(page: BurstPage): string {
  return `npx hookwatch events --hook ${page.hook} --app ${shellWord(page.appId)} --since ${shellWord(page.windowStart)}`;
}

/** The runbook, as PagerDuty Events API v2 `links` show it on the incident; none when not configured. */
export function runbookLinks(page: BurstPage): { href: string; text: string }[] {
  return page.runbookUrl === undefined ? [] : [{ href: page.runbookUrl, text: `Runbook: ${page.hook} hook` }];
}
