import { z } from "zod";
import {
  DESTINATION_NAME_PATTERN,
  DESTINATION_TYPES,
  type DestinationSettings,
  PAGERDUTY_EVENTS_URL,
} from "../lambdas/destinations/destination-settings.js";

/**
 * The `destinations` setting: where the delivery function sends each page, besides the paging topic's own
 * subscriptions. A JSON array in `cdk.json` (or a JSON string with `-c destinations=[…]`), one object each:
 *   {"type": "pagerduty", "routingKeySecretArn": "arn:…"}            (optional: "name", "eventsUrl")
 *   {"type": "webhook", "url": "https://…", "signingSecretArn": "arn:…"}  (optional: "name")
 *   {"type": "slack", "webhookUrlSecretArn": "arn:…"}                 (optional: "name")
 *   {"type": "teams", "workflowUrlSecretArn": "arn:…"}                (optional: "name")
 * Secrets stay in Secrets Manager; the stack holds only their ARNs.
 */

const secretArn = z
  .string()
  .regex(
    /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/,
    "must be the complete ARN of a Secrets Manager secret (ending in the 6-character suffix)",
  );
const httpsUrl = z.string().regex(/^https:\/\/[^\s/]+\S*$/, "must be an https:// URL");
const name = z
  .string()
  .regex(
    DESTINATION_NAME_PATTERN,
    "must be 1 to 32 lowercase letters, digits and '-', starting with a letter or digit",
  )
  .optional();

const destinationSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("pagerduty"),
      name,
      routingKeySecretArn: secretArn,
      eventsUrl: httpsUrl.optional(),
    }),
    z.strictObject({ type: z.literal("webhook"), name, url: httpsUrl, signingSecretArn: secretArn }),
    z.strictObject({ type: z.literal("slack"), name, webhookUrlSecretArn: secretArn }),
    z.strictObject({ type: z.literal("teams"), name, workflowUrlSecretArn: secretArn }),
  ],
  { error: () => `must have a "type": one of ${DESTINATION_TYPES.join(", ")}` },
);

// Fields people reach for that would put a secret in the template.
const SECRET_FIELDS: Readonly<Record<string, string>> = {
  routingKey: "routingKeySecretArn",
  integrationKey: "routingKeySecretArn",
  secret: "signingSecretArn",
  signingSecret: "signingSecretArn",
  webhookUrl: "webhookUrlSecretArn",
  workflowUrl: "workflowUrlSecretArn",
};

/** The destinations, each with a name; or the problems, each naming `destinations[i].field`. */
export function parseDestinations(raw: unknown): { destinations: DestinationSettings[]; problems: string[] } {
  if (raw === undefined) return { destinations: [], problems: [] };
  let value = raw;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return {
        destinations: [],
        problems: ["destinations must be a JSON array of destination objects (not JSON)"],
      };
    }
  }
  if (!Array.isArray(value)) {
    return { destinations: [], problems: ["destinations must be a JSON array of destination objects"] };
  }
  const problems: string[] = [];
  const destinations: DestinationSettings[] = [];
  value.forEach((entry: unknown, index) => {
    const result = destinationSchema.safeParse(entry);
    if (!result.success) {
      problems.push(...result.error.issues.map((issue) => describeIssue(index, issue)));
      return;
    }
    destinations.push(withDefaults(result.data));
  });
  problems.push(...duplicateNames(destinations));
  return { destinations, problems };
}

function withDefaults(entry: z.output<typeof destinationSchema>): DestinationSettings {
  const named = entry.name ?? entry.type;
  if (entry.type === "pagerduty") {
    return {
      type: "pagerduty",
      name: named,
      routingKeySecretArn: entry.routingKeySecretArn,
      eventsUrl: entry.eventsUrl ?? PAGERDUTY_EVENTS_URL,
    };
  }
  if (entry.type === "slack")
    return { type: "slack", name: named, webhookUrlSecretArn: entry.webhookUrlSecretArn };
  if (entry.type === "teams")
    return { type: "teams", name: named, workflowUrlSecretArn: entry.workflowUrlSecretArn };
  return { type: "webhook", name: named, url: entry.url, signingSecretArn: entry.signingSecretArn };
}

function describeIssue(index: number, issue: z.core.$ZodIssue): string {
  const path = [`destinations[${index}]`, ...issue.path.map(String)].join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((key) =>
        SECRET_FIELDS[key] === undefined
          ? `${path}.${key} is not a destination setting`
          : `${path}.${key} would put a secret in the template: store it in Secrets Manager and give ${SECRET_FIELDS[key]}`,
      )
      .join("; ");
  }
  if (issue.code === "invalid_type" && issue.input === undefined) return `${path} is required`;
  return `${path} ${issue.message}`;
}

function duplicateNames(destinations: readonly DestinationSettings[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const destination of destinations) {
    if (seen.has(destination.name)) {
      problems.push(
        `destinations: the name "${destination.name}" is used twice; give each destination its own "name"`,
      );
    }
    seen.add(destination.name);
  }
  return problems;
}
