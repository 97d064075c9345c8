import type { PageDocument } from "../pages/page-document.js";
import { readChatUrl } from "./chat-url.js";
import type { DeliveryRequest } from "./delivery-request.js";
import type { DestinationSettings } from "./destination-settings.js";
import { buildPagerDutyRequest } from "./pagerduty-event.js";
import { buildSlackRequest } from "./slack-message.js";
import { readSigningKeys } from "./standard-webhook.js";
import { buildTeamsRequest } from "./teams-message.js";
import { buildWebhookRequest } from "./webhook-request.js";

export interface RequestContext {
  /** The operations dashboard, for destinations that can link to it. */
  readonly dashboardUrl?: string;
}

/**
 * The one place that knows each destination type: from the page and the destination's secret, how to
 * build each attempt's request. A new destination adds its case here (and its settings in
 * `destination-settings.ts`); the sender, retries, dead-lettering and metrics are shared.
 * A builder throws when the page or the secret can never make a valid request: the page is dead-lettered.
 */
export function prepareRequest(
  destination: DestinationSettings,
  page: PageDocument,
  secret: string,
  context: RequestContext,
): (nowMs: number) => DeliveryRequest {
  switch (destination.type) {
    case "pagerduty": {
      const request = buildPagerDutyRequest(page, {
        routingKey: secret.trim(),
        eventsUrl: destination.eventsUrl,
        ...(context.dashboardUrl === undefined ? {} : { dashboardUrl: context.dashboardUrl }),
      });
      return () => request;
    }
    case "webhook": {
      const keys = readSigningKeys(secret);
      return (nowMs) => buildWebhookRequest(page, destination.url, keys, nowMs);
    }
    case "slack": {
      const request = buildSlackRequest(page, readChatUrl(secret, "Slack webhook URL"));
      return () => request;
    }
    case "teams": {
      const request = buildTeamsRequest(page, readChatUrl(secret, "Teams workflow URL"));
      return () => request;
    }
  }
}
