import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BurstPage } from "../../lambdas/pages/burst-page.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { formatDuration } from "../../lambdas/pages/plain-text.js";
import { HOOKS } from "../../lambdas/runtime/hooks.js";
import {
  buildDelayedPage,
  buildResolvePage,
  buildTriggerPage,
  STEP_UP_SAMPLE,
  STEP_UP_SAMPLES,
} from "../helpers/burst-page-factory.js";

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

describe("subject", () => {
  it("names the hook, the app and the transport failures in the window of a live page", () => {
    const { subject } = formatPage(buildTriggerPage());

    expect(subject).toBe("hookwatch: step-up hook failing for app 54e9ujn (12 transport failures in 60s)");
  });

  it("marks a delayed page and speaks of the failure in the past", () => {
    const { subject } = formatPage(buildDelayedPage());

    expect(subject).toBe(
      "hookwatch: [delayed] step-up hook failed for app 54e9ujn (12 transport failures in 60s)",
    );
  });

  it("says resolved, with the burst's total and how long it lasted", () => {
    const { subject } = formatPage(buildResolvePage());

    expect(subject).toBe(
      "hookwatch: resolved: step-up hook for app 54e9ujn (340 transport failures over 12m 37s)",
    );
  });

  it("shortens a 300-character app id to stay under 100 characters and keeps the counts", () => {
    const appId = `app-${"x".repeat(296)}`;

    const { subject } = formatPage(buildTriggerPage({ appId }));

    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(subject).toMatch(
      /^hookwatch: step-up hook failing for app app-x+\.\.\. \(12 transport failures in 60s\)$/,
    );
  });

  it("turns accents into ASCII letters and other non-ASCII or control characters into ?", () => {
    const { subject } = formatPage(buildTriggerPage({ appId: "Zürich-😀\n\u0007x" }));

    expect(subject).toContain("for app Zurich-???x (");
    expect(subject).toMatch(PRINTABLE_ASCII);
  });

  it("is printable ASCII under 100 characters for any app id, count and window", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 400 }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 86_400 }),
        fc.constantFrom(...HOOKS),
        fc.constantFrom("trigger", "resolve"),
        fc.boolean(),
        (appId, transportCount, windowSeconds, hook, action, delayed) => {
          const page = buildTriggerPage({ appId, transportCount, windowSeconds, hook, action, delayed });

          const { subject, sms } = formatPage(page);

          expect(subject.length).toBeLessThan(100);
          expect(subject).toMatch(PRINTABLE_ASCII);
          expect(sms.length).toBeLessThanOrEqual(140);
          expect(sms).toMatch(PRINTABLE_ASCII);
        },
      ),
    );
  });
});

describe("sms", () => {
  it("fits one SMS segment and says what fails, how much and since when", () => {
    const { sms } = formatPage(buildTriggerPage());

    expect(sms).toBe(
      "hookwatch: step-up hook failing for app 54e9ujn: 12 transport failures in 60s since 2026-11-21T09:14:03Z. Check it answers 2xx within 5s.",
    );
  });

  it("says a delayed page is a past burst that is already over", () => {
    const { sms } = formatPage(buildDelayedPage());

    expect(sms).toContain("[delayed]");
    expect(sms).toContain("Past burst, already over.");
  });
});

describe("text of a live page", () => {
  const text = formatPage(buildTriggerPage()).text;
  const lines = text.split("\n");

  it("gives hook, app, window, first and last failure, opening time and dedup key on aligned lines", () => {
    expect(lines).toContain("Hook            step-up");
    expect(lines).toContain("App             54e9ujn");
    expect(lines).toContain("Window          2026-11-21T09:14:03.512Z to 2026-11-21T09:14:58.207Z");
    expect(lines).toContain("First failure   2026-11-21T09:14:03.512Z");
    expect(lines).toContain("Last failure    2026-11-21T09:14:58.207Z");
    expect(lines).toContain("Opened at       2026-11-21T09:14:58.731Z");
    expect(lines).toContain("Dedup key       hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z");
  });

  it("counts by reason, transport reasons first, response-level ones as stored and not paged", () => {
    const transport = lines.findIndex((line) => /^ {2}Transport \(paged\) +12$/.test(line));
    const requestFailed = lines.findIndex((line) => /^ {4}request_failed +9$/.test(line));
    const invalidStatusCode = lines.findIndex((line) => /^ {4}invalid_status_code +3$/.test(line));
    const response = lines.findIndex((line) => /^ {2}Response-level \(stored, not paged\) +2$/.test(line));
    const invalidStatus = lines.findIndex((line) => /^ {4}invalid_status +2$/.test(line));

    const order = [transport, requestFailed, invalidStatusCode, response, invalidStatus];
    expect(order).not.toContain(-1);
    expect(order).toEqual(order.toSorted((a, b) => a - b));
  });

  it("explains the transport reasons and what to check first", () => {
    expect(text).toMatch(/request_failed +no answer: DNS failure, connection refused, TLS error,/);
    expect(text).toContain("or no answer within 5 s");
    expect(text).toMatch(/invalid_status_code +the hook answered with a non-2xx HTTP status/);
    expect(text).toContain("The hook URL answers within 5 s and returns 2xx");
    expect(text).toContain("Recent deploys");
    expect(text).toContain("TLS certificate");
  });

  it("shows sample dispatch and correlation ids and, for step-up, user, session and scope", () => {
    for (const sample of STEP_UP_SAMPLES) {
      expect(text).toContain(`${sample.occurred_at}  ${sample.reason}`);
      expect(text).toContain(`correlation_id  ${sample.correlation_id}`);
      expect(text).toContain(`user_id         ${sample.user_id}`);
      expect(text).toContain(`session_id      ${sample.session_id}`);
      expect(text).toContain(`scope           ${sample.scope}`);
    }
    expect(text).toContain(`dispatch_id     ${STEP_UP_SAMPLE.dispatch_id}`);
    expect(text).toContain("dispatch_id     -");
  });

  it("tells how to list the stored events of the burst and the open bursts", () => {
    expect(lines).toContain(
      "  npx hookwatch events --hook step-up --app 54e9ujn --since 2026-11-21T09:14:03.512Z",
    );
    expect(lines).toContain("  npx hookwatch bursts --open");
  });

  it("does not call itself delayed", () => {
    expect(text).not.toMatch(/delayed|detected late/i);
  });
});

it.each<[string, BurstPage]>([
  ["a live step-up page", buildTriggerPage()],
  ["a live migration page", buildTriggerPage({ hook: "migration" })],
  ["a delayed page", buildDelayedPage()],
  ["a resolve", buildResolvePage()],
])("keeps the lines of %s short enough to read at a glance, commands aside", (_, page) => {
  const lines = formatPage(page).text.split("\n");

  const long = lines.filter((line) => line.length > 82 && !line.startsWith("  npx "));

  expect(long).toEqual([]);
});

describe("text of a delayed page", () => {
  const text = formatPage(buildDelayedPage()).text;

  it("says it is a past burst detected late from a redelivered backlog, with its real window", () => {
    expect(text.split("\n")[0]).toBe(
      "hookwatch: DELAYED PAGE - the step-up hook of app 54e9ujn failed in the past.",
    );
    expect(text).toContain("detected late: Prelude redelivered a backlog");
    expect(text).toContain("between 2026-11-21T09:14:03.512Z and 2026-11-21T09:14:58.207Z,");
    expect(text).toContain("2h 5m before hookwatch saw them");
    expect(text).toContain("Detected at     2026-11-21T11:20:00.000Z");
  });

  it("says the burst is already over and resolved at once", () => {
    expect(text).toContain("The burst is already over");
    expect(text).toContain("resolved at once");
    expect(text).not.toContain("npx hookwatch bursts --open");
  });
});

describe("text of a resolve", () => {
  const text = formatPage(buildResolvePage()).text;
  const lines = text.split("\n");

  it("says how long the burst lasted, when it resolved and under which dedup key", () => {
    expect(lines).toContain("Failing         2026-11-21T09:14:03.512Z to 2026-11-21T09:26:40.118Z");
    expect(lines).toContain("Lasted          12m 37s (first to last transport failure)");
    expect(lines).toContain("Resolved at     2026-11-21T09:27:41.002Z");
    expect(lines).toContain("Dedup key       hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z");
    expect(text).toContain("This resolve carries the dedup key of the page it closes.");
    expect(text).toContain("No transport failure has arrived for 60s");
  });

  it("gives the totals by reason over the whole burst", () => {
    expect(text).toMatch(/^ {2}Transport \(paged\) +340$/m);
    expect(text).toMatch(/^ {4}request_failed +301$/m);
    expect(text).toMatch(/^ {4}invalid_status_code +39$/m);
    expect(text).toMatch(/^ {2}Response-level \(stored, not paged\) +5$/m);
  });

  it("leaves out the troubleshooting and the samples of the page", () => {
    expect(text).not.toContain("Check first");
    expect(text).not.toContain("correlation_id");
  });

  it("of a delayed burst says it closes a delayed page", () => {
    const delayed = formatPage(buildResolvePage({ delayed: true })).text;

    expect(delayed).toContain("This closes a delayed page");
    expect(delayed).not.toContain("No transport failure has arrived");
  });
});

describe("step-up fields", () => {
  it("are left out of a migration page even when the samples carry them", () => {
    const formatted = formatPage(buildTriggerPage({ hook: "migration" }));

    expect(formatted.text).toContain("correlation_id  corr_8f2a41d0");
    expect(formatted.text).not.toMatch(/user_id|session_id|scope|usr_|ses_/);
    for (const sample of formatted.document.sample_events) {
      expect(["correlation_id", "dispatch_id", "key", "occurred_at", "reason"]).toEqual(
        expect.arrayContaining(Object.keys(sample)),
      );
    }
  });

  it("are kept in the document of a step-up page", () => {
    const { document } = formatPage(buildTriggerPage());

    expect(document.sample_events[0]).toEqual(STEP_UP_SAMPLE);
  });
});

describe("hostile or oversized webhook data", () => {
  it("cannot forge a line of the text through a control character", () => {
    const sample = { ...STEP_UP_SAMPLE, correlation_id: "corr_1\nDedup key       forged" };

    const { text } = formatPage(buildTriggerPage({ sampleEvents: [sample] }));

    expect(text.split("\n").filter((line) => line.startsWith("Dedup key"))).toEqual([
      "Dedup key       hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z",
    ]);
    expect(text).toContain("correlation_id  corr_1?Dedup key       forged");
  });

  it("shows at most 5 samples, each value cut to 64 characters", () => {
    const long = `corr_${"9".repeat(500)}`;
    const sampleEvents = Array.from({ length: 50 }, (_, i) => ({
      ...STEP_UP_SAMPLE,
      key: `dsp_${i}`,
      reason: "request_failed",
      occurred_at: "2026-11-21T09:14:03.512Z",
      correlation_id: long,
    }));

    const { text, document } = formatPage(buildTriggerPage({ sampleEvents }));

    expect(text).toContain("Sample events (5 of 14)");
    expect(text.match(/^ {2}\d+\. 2026-/gm)).toHaveLength(5);
    expect(document.sample_events).toHaveLength(5);
    expect(document.sample_events[0]?.correlation_id).toBe(`${long.slice(0, 63)}…`);
  });

  it("folds reasons beyond 20 into one entry and keeps every count", () => {
    const countsByReason = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`new_reason_${i}`, i + 1]),
    );
    const total = Object.values(countsByReason).reduce((sum, count) => sum + count, 0);

    const { document } = formatPage(buildTriggerPage({ countsByReason }));

    const counts = document.counts_by_reason;
    expect(Object.keys(counts)).toHaveLength(21);
    expect(counts.new_reason_99).toBe(100);
    expect(counts["(other reasons)"]).toBe(total - (100 + 81) * 10);
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(total);
  });

  it("keeps a small set of reasons exactly as counted", () => {
    const { document } = formatPage(buildTriggerPage());

    expect(document.counts_by_reason).toEqual({
      request_failed: 9,
      invalid_status_code: 3,
      invalid_status: 2,
    });
  });

  it("names only the paged reasons in the summary and keeps it within PagerDuty's 1024 characters", () => {
    const countsByReason = Object.fromEntries([
      ["request_failed", 7],
      ...Array.from({ length: 30 }, (_, i) => [`${"r".repeat(80)}${i}`, 1]),
    ]);

    const { document } = formatPage(buildTriggerPage({ appId: "a".repeat(500), countsByReason }));

    expect(document.summary).toContain("(request_failed 7; 2 response-level, not paged)");
    expect(document.summary).not.toContain("rrrr");
    expect(document.summary.length).toBeLessThanOrEqual(1024);
    expect(document.payload.summary).toBe(document.summary);
  });

  it("shows the whole dedup key of an app with a long id", () => {
    const appId = "a".repeat(100);
    const dedupKey = `hookwatch:${appId}:step-up:2026-11-21T09:14:03.512Z`;

    const { text } = formatPage(buildTriggerPage({ appId, dedupKey }));

    expect(text.split("\n")).toContain(`Dedup key       ${dedupKey}`);
  });

  it("quotes an app id in the listed command when a shell would split or expand it", () => {
    const { text } = formatPage(buildTriggerPage({ appId: "my app;$(rm -rf ~)'x" }));

    expect(text).toContain(`--app 'my app;$(rm -rf ~)'\\''x' --since`);
  });
});

describe("document", () => {
  it("carries the flat fields the issue names and PagerDuty's event vocabulary for a live page", () => {
    const page = buildTriggerPage();

    const { document } = formatPage(page);

    expect(document).toMatchObject({
      dedup_key: page.dedupKey,
      event_action: "trigger",
      severity: "critical",
      source: "hookwatch/54e9ujn/step-up",
      hook: "step-up",
      app_id: "54e9ujn",
      window_start: page.windowStart,
      window_end: page.windowEnd,
      counts_by_reason: page.countsByReason,
      delayed: false,
      transport_count: 12,
      response_count: 2,
      threshold: 5,
      window_seconds: 60,
      quiet_seconds: 60,
      first_failure_at: page.firstFailureAt,
      last_failure_at: page.lastFailureAt,
      timestamp: page.at,
      client: "hookwatch",
    });
    expect(document.summary).toBe(
      "step-up hook failing for app 54e9ujn: 12 transport failures in 60s (request_failed 9, invalid_status_code 3; 2 response-level, not paged), 2026-11-21T09:14:03.512Z to 2026-11-21T09:14:58.207Z",
    );
    expect(document.sample_events).toHaveLength(3);
  });

  it("nests a PagerDuty payload: summary, source, severity, timestamp, component, group, details", () => {
    const { document } = formatPage(buildTriggerPage());

    expect(document.payload).toMatchObject({
      summary: document.summary,
      source: document.source,
      severity: "critical",
      timestamp: "2026-11-21T09:14:58.731Z",
      component: "step-up",
      group: "54e9ujn",
    });
    expect(document.payload.custom_details).toMatchObject({
      counts_by_reason: document.counts_by_reason,
      sample_events: document.sample_events,
      window_start: document.window_start,
    });
    expect(document).not.toHaveProperty("routing_key");
  });

  it.each<[string, BurstPage, string, string]>([
    ["a live trigger", buildTriggerPage(), "trigger", "critical"],
    ["a delayed trigger", buildDelayedPage(), "trigger", "warning"],
    ["a resolve", buildResolvePage(), "resolve", "info"],
  ])(
    "maps %s to event_action %s and severity %s, in document, payload and attributes",
    (_, page, action, severity) => {
      const { document, attributes } = formatPage(page);

      expect(document.event_action).toBe(action);
      expect(document.severity).toBe(severity);
      expect(document.payload.severity).toBe(severity);
      expect(attributes).toEqual({
        event_action: action,
        hook: "step-up",
        app_id: "54e9ujn",
        severity,
        kind: "burst",
      });
    },
  );

  it("marks a delayed page as delayed", () => {
    expect(formatPage(buildDelayedPage()).document.delayed).toBe(true);
  });

  it("survives a JSON round trip unchanged (no undefined fields)", () => {
    const { document } = formatPage(buildTriggerPage({ hook: "migration" }));

    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [60_000, "60s"],
    [119_000, "119s"],
    [757_000, "12m 37s"],
    [7_500_000, "2h 5m"],
    [3_600_000, "1h"],
    [273_600_000, "3d 4h"],
    [Number.NaN, "unknown"],
    [-1, "unknown"],
  ])("writes %d ms as %s", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
