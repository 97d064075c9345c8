import { describe, expect, it } from "vitest";
import type { BurstPage } from "../../lambdas/pages/burst-page.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { buildTriggerPage } from "../helpers/burst-page-factory.js";

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** The step-up burst of the factory, reminded of for the second time two hours after its first failure. */
const reminder = (overrides: Partial<BurstPage> = {}) =>
  buildTriggerPage({
    transportCount: 5_210,
    lastFailureAt: "2026-11-21T11:14:01.000Z",
    windowEnd: "2026-11-21T11:14:01.000Z",
    at: "2026-11-21T11:14:03.512Z",
    reminder: { number: 2, openForSeconds: 7_200, everyMinutes: 60 },
    ...overrides,
  });

/** A response storm of the step-up hook: 40 bodies Prelude could not use within 5 minutes. */
const storm = (overrides: Partial<BurstPage> = {}) =>
  buildTriggerPage({
    kind: "response_storm",
    dedupKey: "hookwatch:54e9ujn:step-up:response-storm:2026-11-21T09:14:03.512Z",
    transportCount: 0,
    responseCount: 40,
    countsByReason: { invalid_status: 31, missing_steps: 9 },
    threshold: 20,
    windowSeconds: 300,
    quietSeconds: 300,
    ...overrides,
  });

describe("a reminder", () => {
  it("says it is a reminder, which one and how long the burst has been open, in the subject and the SMS", () => {
    const { subject, sms } = formatPage(reminder());

    expect(subject).toBe(
      "hookwatch: reminder 2: step-up hook still failing for app 54e9ujn (open 2h, 5210 failures)",
    );
    expect(sms).toBe(
      "hookwatch: reminder 2: step-up hook still failing for app 54e9ujn, open 2h since 2026-11-21T09:14:03Z: 5210 transport failures so far.",
    );
    expect(sms.length).toBeLessThanOrEqual(140);
  });

  it("stays a trigger under the page's dedup key, with reminder fields in the JSON document", () => {
    const { document, attributes } = formatPage(reminder());

    expect(document).toMatchObject({
      event_action: "trigger",
      severity: "critical",
      dedup_key: "hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z",
      kind: "reminder",
      reminder: { number: 2, open_for_seconds: 7_200, every_minutes: 60 },
      transport_count: 5_210,
    });
    expect(document.payload.custom_details.reminder).toEqual(document.reminder);
    expect(document.summary).toMatch(
      /^Reminder 2: step-up hook still failing for app 54e9ujn, open for 2h: /,
    );
    expect(attributes).toMatchObject({ event_action: "trigger", kind: "reminder" });
  });

  it("tells an email reader it is a reminder with the counts so far", () => {
    const { text } = formatPage(reminder());

    expect(text.split("\n")[0]).toBe(
      "hookwatch: REMINDER 2 - the step-up hook of app 54e9ujn is still failing.",
    );
    expect(text).toContain("Reminder        2, one every 1h\n");
    expect(text).toContain("Open for        2h (since the first failure)\n");
    expect(text).toContain("Failures        5210 transport so far\n");
  });

  it("is announced by the page of a hook with reminders on, and not by one without", () => {
    const withReminders = formatPage(buildTriggerPage({ remindEveryMinutes: 60 })).text;
    const without = formatPage(buildTriggerPage()).text;

    expect(withReminders).toContain("has arrived for 60s. A reminder follows every 1h while it lasts.\n");
    expect(without).toContain("has arrived for 60s. No further page is sent while this burst lasts.\n");
  });

  it("leaves pages that are not reminders without a reminder field", () => {
    const { document } = formatPage(buildTriggerPage());

    expect(document).not.toHaveProperty("reminder");
    expect(document.kind).toBe("burst");
  });

  it.each([
    ["a reminder", reminder],
    ["a storm warning", storm],
    ["a storm resolve", (overrides: Partial<BurstPage>) => storm({ action: "resolve", ...overrides })],
  ])("keeps the subject and SMS of %s short ASCII for a long app id", (_, build) => {
    const { subject, sms } = formatPage(build({ appId: `app-${"é".repeat(300)}` }));

    expect(subject.length).toBeLessThan(100);
    expect(sms.length).toBeLessThanOrEqual(140);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(sms).toMatch(PRINTABLE_ASCII);
  });
});

describe("a response-storm warning", () => {
  it("is a warning, never critical, with its resolve an info, both under the storm's own dedup key", () => {
    const warning = formatPage(storm());
    const resolve = formatPage(storm({ action: "resolve" }));

    expect([warning.document.severity, resolve.document.severity]).toEqual(["warning", "info"]);
    expect([warning.attributes.kind, resolve.attributes.kind]).toEqual(["response_storm", "response_storm"]);
    expect(warning.document.dedup_key).toBe(resolve.document.dedup_key);
    expect(warning.document.payload.class).toBe("hook response-level failure");
  });

  it("says the hook answers but with bodies Prelude cannot use, counting the response-level reasons", () => {
    const { subject, sms, text, document } = formatPage(storm());

    expect(subject).toBe(
      "hookwatch: warning: step-up hook answers unusable bodies for app 54e9ujn (40 response-level in 5m)",
    );
    expect(sms.length).toBeLessThanOrEqual(140);
    expect(text.split("\n")[0]).toBe(
      "hookwatch: WARNING - the step-up hook of app 54e9ujn answers with bodies Prelude cannot use.",
    );
    expect(text).toContain("This is a warning, not a page");
    expect(text).toMatch(/^ {2}invalid_status\s+31$/m);
    expect(document.summary).toMatch(
      /^Warning: step-up hook answers unusable responses .*\(invalid_status 31, missing_steps 9\)/,
    );
  });
});
