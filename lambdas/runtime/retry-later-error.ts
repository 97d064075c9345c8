/**
 * A failure that a later attempt can cure (a JWKS outage, a burst another invocation is resolving):
 * the SQS message is retried instead of quarantined.
 */
export class RetryLaterError extends Error {
  override name = "RetryLaterError";
}
