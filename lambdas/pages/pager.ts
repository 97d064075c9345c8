import type { BurstPage } from "./burst-page.js";

/** Where pages go: SNS in the stack, a recording stand-in in tests. A failed publish rejects. */
export interface Pager {
  publish(page: BurstPage): Promise<void>;
}

/** A pager that also reports each publish, for the PagesPublished and ResolvesPublished metrics. */
export function reportingPager(pager: Pager, onPublished: (page: BurstPage) => void): Pager {
  return {
    async publish(page) {
      await pager.publish(page);
      onPublished(page);
    },
  };
}
