import type { PageDocument } from "../pages/page-document.js";
import type { DeliveryRequest } from "./delivery-request.js";

/** PagerDuty Events API v2: what one event may carry (developer.pagerduty.com, "Send an Alert Event"). */
export const PAGERDUTY_LIMITS = {
  routingKeyLength: 32,
  summaryMaxLength: 1024,
  dedupKeyMaxLength: 255,
  maxEventBytes: 512 * 1024,
} as const;

/** A page that cannot be made into a valid Events API v2 event (or a routing key that is not one). */
export class PagerDutyEventError extends Error {
  override name = "PagerDutyEventError";
}

export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

export interface PagerDutyEventOptions {
  readonly routingKey: string;
  readonly eventsUrl: string;
  /** The operations dashboard, linked from the incident. */
  readonly dashboardUrl?: string;
}

/**
 * A trigger or resolve for PagerDuty's Events API v2. hookwatch's dedup key makes one burst one alert:
 * a repeated trigger (an SQS redelivery) adds a log entry to the open alert, and the resolve closes it. A
 * resolve carries only the key, as PagerDuty ignores the rest.
 */
export function buildPagerDutyRequest(page: PageDocument, options: PagerDutyEventOptions): DeliveryRequest {
  if (options.routingKey.length !== PAGERDUTY_LIMITS.routingKeyLength) {
    throw new PagerDutyEventError(
      `the routing key secret holds ${options.routingKey.length} characters; a PagerDuty integration key has ${PAGERDUTY_LIMITS.routingKeyLength}`,
    );
  }
  if (page.dedup_key.length > PAGERDUTY_LIMITS.dedupKeyMaxLength) {
    throw new PagerDutyEventError(
      `the dedup key is ${page.dedup_key.length} characters, over PagerDuty's ${PAGERDUTY_LIMITS.dedupKeyMaxLength}`,
    );
  }
  const common = { routing_key: options.routingKey, dedup_key: page.dedup_key };
  const event =
    page.event_action === "resolve"
      ? { ...common, event_action: "resolve" }
      : {
          ...common,
          event_action: "trigger",
          client: "hookwatch",
          ...(options.dashboardUrl === undefined ? {} : { client_url: options.dashboardUrl }),
          payload: { ...page.payload, summary: capSummary(page.payload.summary) },
          links: pagerDutyLinks(page, options.dashboardUrl),
        };
  const body = JSON.stringify(event);
  if (Buffer.byteLength(body) > PAGERDUTY_LIMITS.maxEventBytes) {
    throw new PagerDutyEventError(
      `the event is ${Buffer.byteLength(body)} bytes, over PagerDuty's ${PAGERDUTY_LIMITS.maxEventBytes}`,
    );
  }
  return { url: options.eventsUrl, headers: { "content-type": "application/json" }, body };
}

/**
 * Links on the incident: the runbook and the dashboard. The CLI command that lists the burst's events is
 * not a URL, so it travels in `custom_details.list_events`, which PagerDuty shows on the alert.
 */
export function pagerDutyLinks(page: PageDocument, dashboardUrl: string | undefined): PagerDutyLink[] {
  const links: PagerDutyLink[] = [];
  if (page.runbook_url !== undefined)
    links.push({ href: page.runbook_url, text: `Runbook: ${page.hook} hook` });
  if (dashboardUrl !== undefined) links.push({ href: dashboardUrl, text: "hookwatch operations dashboard" });
  return links;
}

// The page already caps its summary at 1,024 characters; this keeps the limit true whatever the document says.
function capSummary(summary: string): string {
  const points = Array.from(summary);
  const max = PAGERDUTY_LIMITS.summaryMaxLength;
  return points.length <= max ? summary : `${points.slice(0, max - 1).join("")}…`;
}
