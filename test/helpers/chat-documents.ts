import type { PageDocument } from "../../lambdas/pages/page-document.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { buildDelayedPage, buildResolvePage, buildTriggerPage } from "./burst-page-factory.js";

/** Page documents as the paging topic delivers them, for the chat message builders. */

export function triggerDocument(overrides: Partial<PageDocument> = {}): PageDocument {
  return { ...formatPage(buildTriggerPage()).document, ...overrides };
}

export function delayedDocument(overrides: Partial<PageDocument> = {}): PageDocument {
  return { ...formatPage(buildDelayedPage()).document, ...overrides };
}

export function resolveDocument(overrides: Partial<PageDocument> = {}): PageDocument {
  return { ...formatPage(buildResolvePage()).document, ...overrides };
}

/** Characters that mean something to Slack mrkdwn, Markdown, JSON or HTML, and a bidi override. */
export const HOSTILE_TEXT =
  '<!channel> &amp; [click](https://evil.example) *b* _i_ `c` "q" \\ \u202e <@U123|x>';

/**
 * A document no formatter produced: a 2,000-character app id and dedup key, 300 reasons of 200 characters
 * each, as if someone posted it to the topic by hand. The builders must still fit their chat's limits.
 */
export function rawHostileDocument(action: "trigger" | "resolve"): PageDocument {
  const reasons: Record<string, number> = { request_failed: 7, invalid_status_code: 5 };
  for (let i = 0; i < 300; i++) reasons[`${i}${"&".repeat(120)}${HOSTILE_TEXT}`] = 300 - i;
  const base = action === "trigger" ? triggerDocument() : resolveDocument();
  return {
    ...base,
    app_id: `${HOSTILE_TEXT}${"<".repeat(2000)}`,
    dedup_key: "&".repeat(2000),
    summary: "&".repeat(5000),
    counts_by_reason: reasons,
    window_start: "<".repeat(500),
  };
}
