import { describe, expect, it } from "vitest";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { SMS_MAX_LENGTH, SUBJECT_MAX_LENGTH } from "../../lambdas/pages/page-limits.js";
import { buildPublishInput, MAX_PUBLISH_BYTES, measurePublishBytes } from "../../lambdas/pages/sns-pager.js";
import { formatTestPage, type TestPageOptions } from "../../lambdas/pages/test-page.js";
import { buildResolvePage, buildTriggerPage } from "../helpers/burst-page-factory.js";

const OPTIONS: Omit<TestPageOptions, "action"> = {
  dedupKey: "hookwatch-selftest-20261120T100000-abcdef",
  appId: "app_one",
  at: "2026-11-20T10:00:00.000Z",
  sentBy: "arn:aws:sts::111122223333:assumed-role/ops/alice",
};

describe("the selftest's TEST page", () => {
  it("says it is a test in every line a person reads", () => {
    for (const action of ["trigger", "resolve"] as const) {
      const page = formatTestPage({ ...OPTIONS, action });

      expect(page.subject).toMatch(/^hookwatch: TEST (page|resolve) for app app_one, no action needed$/);
      expect(page.sms).toContain("TEST");
      expect(page.text.split("\n")[0]).toMatch(/TEST .* no action is needed/);
      expect(page.text).toContain(OPTIONS.sentBy);
      expect(page.document.summary).toMatch(/^TEST /);
      expect(page.document.payload.summary).toBe(page.document.summary);
      expect(page.document.test).toBe(true);
      expect(page.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
      expect(page.sms.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
    }
  });

  it("carries the attributes and severity of a live page, so filters route it as one", () => {
    const trigger = formatTestPage({ ...OPTIONS, action: "trigger" });
    const resolve = formatTestPage({ ...OPTIONS, action: "resolve" });
    const live = formatPage(buildTriggerPage({ appId: "app_one", hook: "migration" }));
    const liveResolve = formatPage(buildResolvePage({ appId: "app_one", hook: "migration" }));

    expect(trigger.attributes).toEqual(live.attributes);
    expect(resolve.attributes).toEqual(liveResolve.attributes);
    expect(trigger.document).toMatchObject({
      dedup_key: OPTIONS.dedupKey,
      event_action: "trigger",
      severity: "critical",
    });
    expect(resolve.document).toMatchObject({ dedup_key: OPTIONS.dedupKey, event_action: "resolve" });
  });

  it("fits a publish even with the longest app id", () => {
    const page = formatTestPage({ ...OPTIONS, action: "trigger", appId: "a".repeat(500) });

    expect(page.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(page.sms.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
    expect(measurePublishBytes(buildPublishInput("arn:aws:sns:us-east-1:1:t", page))).toBeLessThan(
      MAX_PUBLISH_BYTES,
    );
  });
});
