import { describe, expect, it } from "vitest";
import { buildPagerDutyRequest, PagerDutyEventError } from "../../lambdas/destinations/pagerduty-event.js";
import { buildDocument, type PageDocument } from "../../lambdas/pages/page-document.js";
import { validateEvent } from "../../local/pagerduty-stand-in.js";
import { buildTriggerPage } from "../helpers/burst-page-factory.js";

const ROUTING_KEY = "0123456789abcdef0123456789abcdef";
const EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
const DASHBOARD = "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=hw";

function triggerDocument(): PageDocument {
  return buildDocument(buildTriggerPage(), "critical");
}

function eventOf(document: PageDocument, options: { dashboardUrl?: string } = {}) {
  const request = buildPagerDutyRequest(document, {
    routingKey: ROUTING_KEY,
    eventsUrl: EVENTS_URL,
    ...options,
  });
  return { request, event: JSON.parse(request.body) as Record<string, unknown> };
}

describe("PagerDuty Events API v2 events", () => {
  it("triggers with the burst's dedup key, the page's payload and links, valid against the documented schema", () => {
    const document = triggerDocument();

    const { request, event } = eventOf(document, { dashboardUrl: DASHBOARD });

    expect(request.url).toBe(EVENTS_URL);
    expect(request.headers).toEqual({ "content-type": "application/json" });
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: document.dedup_key,
      client: "hookwatch",
      client_url: DASHBOARD,
      payload: {
        summary: document.summary,
        source: "hookwatch/54e9ujn/step-up",
        severity: "critical",
        timestamp: document.timestamp,
        component: "step-up",
        group: "54e9ujn",
        class: "hook transport failure",
        custom_details: {
          transport_count: 12,
          list_events: expect.stringMatching(/^npx hookwatch events --hook step-up/),
        },
      },
      links: [{ href: DASHBOARD, text: "hookwatch operations dashboard" }],
    });
    expect(validateEvent(event)).toEqual([]);
  });

  it("links the runbook first when the page names one", () => {
    const document = { ...triggerDocument(), runbook_url: "https://wiki.example.com/runbooks/step-up" };

    const { event } = eventOf(document, { dashboardUrl: DASHBOARD });

    expect(event.links).toEqual([
      { href: "https://wiki.example.com/runbooks/step-up", text: "Runbook: step-up hook" },
      { href: DASHBOARD, text: "hookwatch operations dashboard" },
    ]);
  });

  it("resolves with the routing key, the dedup key and the action only", () => {
    const document = buildDocument(buildTriggerPage({ action: "resolve" }), "critical");

    const { event } = eventOf(document, { dashboardUrl: DASHBOARD });

    expect(event).toEqual({
      routing_key: ROUTING_KEY,
      dedup_key: document.dedup_key,
      event_action: "resolve",
    });
    expect(validateEvent(event)).toEqual([]);
  });

  it("keeps the summary within 1,024 characters whatever the document says", () => {
    const document = triggerDocument();
    const long = { ...document, payload: { ...document.payload, summary: "x".repeat(5_000) } };

    const { event } = eventOf(long);

    expect(Array.from((event.payload as { summary: string }).summary)).toHaveLength(1024);
    expect(validateEvent(event)).toEqual([]);
  });

  it("refuses a routing key that is not 32 characters, without showing it", () => {
    const build = () =>
      buildPagerDutyRequest(triggerDocument(), { routingKey: "short-key-123", eventsUrl: EVENTS_URL });

    expect(build).toThrow(PagerDutyEventError);
    expect(build).toThrow("holds 13 characters; a PagerDuty integration key has 32");
    expect(build).not.toThrow("short-key-123");
  });

  it("refuses a dedup key over PagerDuty's 255 characters", () => {
    const document = { ...triggerDocument(), dedup_key: "k".repeat(256) };

    expect(() => eventOf(document)).toThrow(/256 characters, over PagerDuty's 255/);
  });
});

describe("the PagerDuty stand-in's schema check", () => {
  it.each([
    [{ routing_key: "short" }, "Length of 'routing_key' is incorrect (should be 32 characters)"],
    [{ event_action: "open" }, "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"],
    [{ dedup_key: "k".repeat(256) }, "'dedup_key' is too long (max 255 characters)"],
    [
      { payload: { summary: "s".repeat(1025), source: "x", severity: "critical" } },
      "'payload.summary' is too long (max 1024 characters)",
    ],
    [
      { payload: { summary: "s", source: "x", severity: "fatal" } },
      "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
    ],
    [{ payload: { summary: "s", severity: "info" } }, "'payload.source' is missing or blank"],
  ])("refuses %j", (change, error) => {
    const valid = {
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: "k",
      payload: { summary: "s", source: "x", severity: "critical" },
    };

    expect(validateEvent({ ...valid, ...change })).toEqual([error]);
  });
});
