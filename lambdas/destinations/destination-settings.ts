import * as z from "zod/mini";

/*
 * The destinations room turns a page (the JSON document the paging topic delivers) into each destination's
 * native HTTP request and posts it: PagerDuty Events API v2, signed generic webhooks (and the chat
 * builders). It uses pages/ for the document's type and runtime/ for secrets; nothing else.
 */

/** The destination types the delivery function knows; each has a request builder in `destination-requests.ts`. */
export const DESTINATION_TYPES = ["pagerduty", "webhook", "slack", "teams"] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** PagerDuty's Events API v2 endpoint (EU service regions use events.eu.pagerduty.com). */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** A destination name: a construct id, a metric dimension and a log field, so short and plain. */
export const DESTINATION_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Where one delivery function delivers: the `DESTINATION` variable, written by `infra/delivery-destination.ts`. */
export type DestinationSettings =
  | {
      readonly type: "pagerduty";
      readonly name: string;
      /** Secrets Manager secret whose SecretString is the 32-character integration (routing) key. */
      readonly routingKeySecretArn: string;
      readonly eventsUrl: string;
    }
  | {
      readonly type: "webhook";
      readonly name: string;
      readonly url: string;
      /** Secrets Manager secret whose SecretString is `whsec_<base64>` (several, space-separated, while rotating). */
      readonly signingSecretArn: string;
    }
  | {
      readonly type: "slack";
      readonly name: string;
      /** Secrets Manager secret whose SecretString is the incoming webhook's URL (it lets anyone post). */
      readonly webhookUrlSecretArn: string;
    }
  | {
      readonly type: "teams";
      readonly name: string;
      /** Secrets Manager secret whose SecretString is the Workflows trigger's URL (signed: it lets anyone post). */
      readonly workflowUrlSecretArn: string;
    };

const name = z.string().check(z.regex(DESTINATION_NAME_PATTERN, "a lowercase name"));
const url = z.string().check(z.regex(/^https?:\/\/\S+$/, "an http(s) URL"));
const arn = z.string().check(z.minLength(1, "a secret ARN"));

const settingsSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("pagerduty"),
    name,
    routingKeySecretArn: arn,
    eventsUrl: z._default(url, PAGERDUTY_EVENTS_URL),
  }),
  z.object({ type: z.literal("webhook"), name, url, signingSecretArn: arn }),
  z.object({ type: z.literal("slack"), name, webhookUrlSecretArn: arn }),
  z.object({ type: z.literal("teams"), name, workflowUrlSecretArn: arn }),
]);

/** Thrown at cold start when the delivery function's environment is missing or malformed; names the variable. */
export class DeliveryConfigError extends Error {
  override name = "DeliveryConfigError";
}

export interface DeliveryConfig {
  readonly destination: DestinationSettings;
  /** Where a page the destination refuses for good is moved, with its answer. */
  readonly deadLetterQueueUrl: string;
  /** The operations dashboard, linked from PagerDuty incidents. */
  readonly dashboardUrl?: string;
}

/** Parses the delivery function's environment once, at cold start. */
export function loadDeliveryConfig(env: NodeJS.ProcessEnv = process.env): DeliveryConfig {
  let json: unknown;
  try {
    json = JSON.parse(env.DESTINATION ?? "");
  } catch {
    throw new DeliveryConfigError("DESTINATION must be the destination's settings as JSON");
  }
  const parsed = settingsSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "type").join(", ");
    throw new DeliveryConfigError(`DESTINATION has missing or malformed settings: ${fields}`);
  }
  const deadLetterQueueUrl = env.DEAD_LETTER_QUEUE_URL?.trim();
  if (!deadLetterQueueUrl) throw new DeliveryConfigError("DEAD_LETTER_QUEUE_URL must be set");
  const dashboardUrl = env.DASHBOARD_URL?.trim();
  return {
    destination: parsed.data,
    deadLetterQueueUrl,
    ...(dashboardUrl ? { dashboardUrl } : {}),
  };
}

/** The secret a destination reads at run time. */
export function secretArnOf(destination: DestinationSettings): string {
  switch (destination.type) {
    case "pagerduty":
      return destination.routingKeySecretArn;
    case "webhook":
      return destination.signingSecretArn;
    case "slack":
      return destination.webhookUrlSecretArn;
    case "teams":
      return destination.workflowUrlSecretArn;
  }
}
