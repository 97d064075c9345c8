import { describe, expect, it } from "vitest";
import { OTHER_REASONS_KEY } from "../../lambdas/pages/page-limits.js";
import { capReasonCounts, formatReasonCounts } from "../../lambdas/pages/reason-counts.js";

/** 2 transport reasons and 30 response-level ones: more than a page shows, so the tail is folded. */
function manyReasons(): Record<string, number> {
  const counts: Record<string, number> = { request_failed: 9, invalid_status_code: 3 };
  for (let i = 0; i < 30; i++) counts[`reason_${String(i).padStart(2, "0")}`] = 100 - i;
  return counts;
}

describe("reason counts read back from a page's document", () => {
  it("cap to the same counts a second time, the folded tail kept as one entry", () => {
    const once = capReasonCounts(manyReasons());

    const twice = capReasonCounts(once);

    expect(twice).toEqual(once);
    expect(Object.keys(twice).filter((reason) => reason === OTHER_REASONS_KEY)).toHaveLength(1);
    // 18 rows beside the 2 transport reasons; the 12 smallest (82 down to 71) are folded.
    expect(twice[OTHER_REASONS_KEY]).toBe(
      Array.from({ length: 12 }, (_, i) => 82 - i).reduce((a, b) => a + b),
    );
  });

  it("print the same table from the document as from the burst", () => {
    const totals = { transportCount: 12, responseCount: 2_000, countsByReason: manyReasons() };

    const fromDocument = formatReasonCounts({
      ...totals,
      countsByReason: capReasonCounts(totals.countsByReason),
    });

    expect(fromDocument).toEqual(formatReasonCounts(totals));
  });
});
