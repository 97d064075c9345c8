import type { PageDocument } from "../pages/page-document.js";
import type { DeliveryRequest } from "./delivery-request.js";
import { standardWebhookHeaders, webhookIdOf } from "./standard-webhook.js";

/**
 * The page's JSON document, as the paging topic's HTTPS subscribers get it, POSTed to the endpoint and
 * signed per Standard Webhooks. Built per attempt: the signature covers the attempt's timestamp.
 */
export function buildWebhookRequest(
  page: PageDocument,
  url: string,
  keys: readonly Buffer[],
  nowMs: number,
): DeliveryRequest {
  const body = JSON.stringify(page);
  const id = webhookIdOf(page.dedup_key, page.event_action);
  return {
    url,
    headers: { "content-type": "application/json", ...standardWebhookHeaders(keys, id, nowMs, body) },
    body,
  };
}
