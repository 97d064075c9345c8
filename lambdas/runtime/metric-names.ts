/** CloudWatch namespace and service dimension of every hookwatch metric (EMF, via Powertools). */
export const METRICS_NAMESPACE = "Hookwatch";
export const SERVICE_NAME = "hookwatch";

/**
 * Metric names. Event metrics carry the dimensions `service`, `hook` and `reason_class`;
 * message and paging metrics carry only `service`, so alarms can name them exactly.
 */
export const METRIC = {
  eventsStored: "EventsStored",
  eventsDuplicate: "EventsDuplicate",
  eventsConflict: "EventsConflict",
  eventsInvalid: "EventsInvalid",
  eventsUnknown: "EventsUnknown",
  messagesRejected: "MessagesRejected",
  messagesQuarantined: "MessagesQuarantined",
  pagesPublished: "PagesPublished",
  resolvesPublished: "ResolvesPublished",
  remindersPublished: "RemindersPublished",
  warningsPublished: "WarningsPublished",
  /** From the API's access log (a metric filter, no dimension): webhook POSTs the gateway refused with a 4xx. */
  webhookPostsRefused: "WebhookPostsRefused",
  /** One per page and destination, with the dimensions `destination` and `outcome` (see DELIVERY_OUTCOMES). */
  deliveries: "Deliveries",
} as const;

/**
 * Outcomes of delivering one page to one destination: delivered; refused for good by the destination (4xx)
 * or impossible to build (not a page, a malformed secret), both dead-lettered; or left for SQS to redeliver.
 */
export const DELIVERY_OUTCOMES = ["delivered", "refused", "invalid", "retry_later"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
