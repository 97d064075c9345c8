/**
 * How long one SDK attempt may take. Without these the SDK waits forever on a connection that hangs,
 * holding the invocation until the Lambda timeout; with them the attempt fails as a `TimeoutError`,
 * which the SDK retries (3 attempts by default). DynamoDB and SNS answer in milliseconds, so the
 * limits are generous, and three timed-out attempts plus backoff (about 16 s) still end well inside
 * the processor's 30 s timeout. `throwOnRequestTimeout` makes the request timeout an error: without
 * it, @smithy/node-http-handler 4.4 and later only log a warning.
 */
export const AWS_HTTP_TIMEOUTS = {
  connectionTimeout: 3_000,
  requestTimeout: 5_000,
  throwOnRequestTimeout: true,
} as const;

/**
 * Sockets each client opens to an endpoint: the SDK's default, written out because the processor's limit
 * of requests in flight is chosen against it. A request beyond it waits for a socket with its
 * connection and request timeouts already running, and fails as a `TimeoutError` if the wait is longer.
 */
export const MAX_SOCKETS = 50;
