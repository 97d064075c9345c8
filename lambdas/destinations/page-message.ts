import * as z from "zod/mini";
import type { PageDocument } from "../pages/page-document.js";

/** An SQS message of a delivery queue that is not a hookwatch page; it is dead-lettered, never retried. */
export class InvalidPageMessageError extends Error {
  override name = "InvalidPageMessageError";
}

// The fields the request builders read; the rest of the document is passed on as it is.
const pageSchema = z.looseObject({
  dedup_key: z.string().check(z.minLength(1)),
  event_action: z.enum(["trigger", "resolve"]),
  summary: z.string(),
  hook: z.string(),
  app_id: z.string(),
  window_start: z.string(),
  timestamp: z.string(),
  payload: z.looseObject({
    summary: z.string(),
    source: z.string(),
    severity: z.enum(["critical", "error", "warning", "info"]),
  }),
});

/**
 * The page document of one delivery-queue message. The subscription delivers raw (`RawMessageDelivery`), so
 * the body is the document the processor published for the `sqs` protocol, not an SNS envelope.
 */
export function readPageMessage(body: string): PageDocument {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidPageMessageError("the message body is not JSON");
  }
  const parsed = pageSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw new InvalidPageMessageError(`the message body is not a hookwatch page (${fields})`);
  }
  return parsed.data as unknown as PageDocument;
}
