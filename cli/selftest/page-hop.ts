import { publishFormattedPage } from "../../lambdas/pages/sns-pager.js";
import { formatTestPage } from "../../lambdas/pages/test-page.js";
import { failed, type HopResult, verified } from "./hop-result.js";
import type { SelftestTarget } from "./selftest-target.js";

export const PAGE_HOP = "test page: trigger and resolve";

export const PAGE_FIX =
  "your credentials need sns:Publish on the paging topic and kms:GenerateDataKey*/kms:Decrypt on its key";

/**
 * `--page`: one TEST page and its resolve through the real publish path (lambdas/pages/sns-pager.ts) to the
 * paging topic, under a dedup key of this run's own, so on-call can see a page arrive end to end.
 */
export async function sendTestPage(
  target: SelftestTarget,
  options: { runId: string; nowMs: number; sentBy: string },
): Promise<HopResult> {
  const topicArn = target.pagingTopicArn;
  if (topicArn === undefined) {
    return failed(
      PAGE_HOP,
      "the target names no paging topic",
      target.resources.local
        ? "restart npm start (its pipeline.json predates the paging topic entry)"
        : "deploy the current version (PagingTopicArn output)",
    );
  }
  const common = {
    dedupKey: `hookwatch-selftest-${options.runId}`,
    appId: target.appId,
    at: new Date(options.nowMs).toISOString(),
    sentBy: options.sentBy,
  };
  const triggerId = await publishFormattedPage(
    target.sns,
    topicArn,
    formatTestPage({ ...common, action: "trigger" }),
    "the selftest's TEST page",
  );
  const resolveId = await publishFormattedPage(
    target.sns,
    topicArn,
    formatTestPage({ ...common, action: "resolve" }),
    "the selftest's TEST resolve",
  );
  const where = target.resources.local
    ? "it shows in the npm start terminal and .local/pages.jsonl"
    : "check it reached everyone subscribed to pages";
  return verified(
    PAGE_HOP,
    `published a TEST page (SNS ${triggerId}) and its resolve (SNS ${resolveId}) to ${topicArn}, dedup key ${common.dedupKey}: ${where}`,
  );
}
