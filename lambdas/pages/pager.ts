import { METRIC } from "../runtime/metric-names.js";
import { type BurstPage, noticeKind } from "./burst-page.js";

/** Where pages go: SNS in the stack, a recording stand-in in tests. A failed publish rejects. */
export interface Pager {
  publish(page: BurstPage): Promise<void>;
}

/** A pager that also reports each publish, for the published-notice metrics (`publishedMetric`). */
export function reportingPager(pager: Pager, onPublished: (page: BurstPage) => void): Pager {
  return {
    async publish(page) {
      await pager.publish(page);
      onPublished(page);
    },
  };
}

/** The metric a published notice counts in: pages, reminders, response-storm warnings, resolves. */
export function publishedMetric(page: BurstPage): string {
  if (page.action === "resolve") return METRIC.resolvesPublished;
  const kind = noticeKind(page);
  if (kind === "response_storm") return METRIC.warningsPublished;
  return kind === "reminder" ? METRIC.remindersPublished : METRIC.pagesPublished;
}
