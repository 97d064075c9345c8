import type { BurstPage } from "./burst-page.js";
import { shellWord } from "./plain-text.js";

/** Where a page points on-call next. */

export function listEventsCommand(page: BurstPage): string {
  return `npx hookwatch events --hook ${page.hook} --app ${shellWord(page.appId)} --since ${shellWord(page.windowStart)}`;
}
