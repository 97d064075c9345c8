import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { PageDocument } from "../pages/page-document.js";
import { type DeliveryOutcome, METRIC } from "../runtime/metric-names.js";
import { ChatUrlError } from "./chat-url.js";
import type { DeadLetterReason } from "./dead-letter.js";
import { prepareRequest } from "./destination-requests.js";
import { type DestinationSettings, secretArnOf } from "./destination-settings.js";
import { type SendOptions, type SendOutcome, sendWithRetries } from "./http-sender.js";
import { InvalidPageMessageError, readPageMessage } from "./page-message.js";
import { PagerDutyEventError } from "./pagerduty-event.js";
import { WebhookSecretError } from "./standard-webhook.js";

/** Log lines as Powertools' Logger takes them: a message and one object of fields. */
export interface DeliveryLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface DeliveryDeps {
  readonly destination: DestinationSettings;
  /** The destination's secret (routing key, signing secret, URL), read at run time and cached briefly. */
  readonly readSecret: () => Promise<string>;
  readonly deadLetter: (record: SQSRecord, reason: DeadLetterReason) => Promise<void>;
  readonly metrics: { count(name: string, dimensions: Readonly<Record<string, string>>): void };
  readonly log: DeliveryLog;
  readonly dashboardUrl?: string;
  /** The sender's clock, sleep and fetch (tests); the deadline comes from the invocation. */
  readonly send?: Omit<SendOptions, "deadlineMs" | "attemptTimeoutMs">;
  /** How long one HTTP attempt may take. @default 10 s */
  readonly attemptTimeoutMs?: number;
}

/** Time kept back from the Lambda timeout for dead-lettering, metrics and the answer to SQS. */
export const INVOCATION_MARGIN_MS = 3_000;

/**
 * Delivers a batch in order, one page at a time. A page the destination refuses for good, or that cannot be
 * made into a request, goes to the dead-letter queue with the reason; a destination that stays unavailable
 * within the time left fails this page and the rest of the batch (without trying them: order is kept and
 * the budget is not spent twice), and SQS redelivers them after the visibility timeout.
 */
export async function deliverPages(
  deps: DeliveryDeps,
  records: readonly SQSRecord[],
  deadlineMs: number,
): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  for (const record of records) {
    if (failures.length > 0) {
      failures.push(record.messageId);
      count(deps, "retry_later");
      continue;
    }
    const outcome = await deliverPage(deps, record, deadlineMs - INVOCATION_MARGIN_MS).catch(
      (error: unknown) => {
        // A bug, or SQS failing the dead-letter send: the page stays on the queue and is tried again.
        deps.log.error("delivery failed unexpectedly; SQS will redeliver the page", {
          destination: deps.destination.name,
          message_id: record.messageId,
          error: (error as Error).message,
        });
        return "retry_later" as const;
      },
    );
    count(deps, outcome);
    if (outcome === "retry_later") failures.push(record.messageId);
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

async function deliverPage(
  deps: DeliveryDeps,
  record: SQSRecord,
  deadlineMs: number,
): Promise<DeliveryOutcome> {
  const destination = deps.destination.name;
  const base = { destination, type: deps.destination.type, message_id: record.messageId };
  let page: PageDocument;
  let prepare: ReturnType<typeof prepareRequest>;
  try {
    page = readPageMessage(record.body);
  } catch (error) {
    return deadLetterInvalid(deps, record, base, error);
  }
  const fields = { ...base, event_action: page.event_action, dedup_key: page.dedup_key };
  let secret: string;
  try {
    secret = await deps.readSecret();
  } catch (error) {
    // Access denied, a deleted secret, a network failure: fixable without touching the page, so retried.
    deps.log.warn("cannot read the destination's secret; SQS will redeliver the page", {
      ...fields,
      secret_arn: secretArnOf(deps.destination),
      error: (error as Error).message,
    });
    return "retry_later";
  }
  try {
    prepare = prepareRequest(deps.destination, page, secret, {
      ...(deps.dashboardUrl === undefined ? {} : { dashboardUrl: deps.dashboardUrl }),
    });
  } catch (error) {
    return deadLetterInvalid(deps, record, fields, error);
  }
  const outcome = await sendWithRetries(prepare, {
    ...deps.send,
    deadlineMs,
    attemptTimeoutMs: deps.attemptTimeoutMs ?? 10_000,
  });
  return reportSent(deps, record, fields, outcome);
}

async function reportSent(
  deps: DeliveryDeps,
  record: SQSRecord,
  fields: Record<string, unknown>,
  outcome: SendOutcome,
): Promise<DeliveryOutcome> {
  switch (outcome.kind) {
    case "delivered":
      deps.log.info("page delivered", { ...fields, status: outcome.status, attempts: outcome.attempts });
      return "delivered";
    case "unavailable":
      deps.log.warn("destination unavailable; SQS will redeliver the page", {
        ...fields,
        attempts: outcome.attempts,
        error: outcome.reason,
      });
      return "retry_later";
    case "rejected": {
      const error = `HTTP ${outcome.status}: ${outcome.answer}`;
      await deps.deadLetter(record, { destination: deps.destination.name, error, status: outcome.status });
      deps.log.error("destination refused the page; moved to the dead-letter queue", {
        ...fields,
        status: outcome.status,
        attempts: outcome.attempts,
        answer: outcome.answer,
      });
      return "refused";
    }
  }
}

const PERMANENT_ERRORS = [InvalidPageMessageError, PagerDutyEventError, WebhookSecretError, ChatUrlError];

async function deadLetterInvalid(
  deps: DeliveryDeps,
  record: SQSRecord,
  fields: Record<string, unknown>,
  error: unknown,
): Promise<DeliveryOutcome> {
  // Anything else is a bug or an outage: let it fail the invocation's record and be retried.
  if (!PERMANENT_ERRORS.some((type) => error instanceof type)) throw error;
  const message = (error as Error).message;
  await deps.deadLetter(record, { destination: deps.destination.name, error: message });
  deps.log.error("page cannot be delivered; moved to the dead-letter queue", { ...fields, error: message });
  return "invalid";
}

function count(deps: DeliveryDeps, outcome: DeliveryOutcome): void {
  deps.metrics.count(METRIC.deliveries, { destination: deps.destination.name, outcome });
}
