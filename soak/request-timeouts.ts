import type { EventLoopStall } from "./event-loop-stalls.js";
import type { ProxiedAttempt } from "./fault-proxy.js";
import type { ClientAttempt } from "./processor-faults.js";

/** What is known of one attempt the SDK's request timeout ended, from both ends of the wire. */
export interface TimedOutAttempt {
  /** As the client timed it (processor-faults.ts). */
  readonly attempt: ClientAttempt;
  /** As the fault proxy saw it; undefined when it never reached the proxy. */
  readonly proxied?: ProxiedAttempt;
  /** The process's event-loop stalls while it waited (event-loop-stalls.ts). */
  readonly stalls: readonly EventLoopStall[];
  readonly requestTimeoutMs: number;
  /** The sockets a client has in one Lambda container (http-limits.ts). */
  readonly maxSockets: number;
  /** The sockets of the client the soak's invocations share (local/container-sockets.ts: five containers'). */
  readonly sharedSockets: number;
}

/**
 * Where a timed-out attempt's time went, and whether that explains it. Only two things hookwatch does can
 * make its own request wait that long, and either leaves it unexplained:
 * - its invocation had more attempts in flight than the client has sockets (in Lambda too, they would queue);
 * - the process stopped turning for the whole timeout at once: one synchronous stretch of work (in Lambda
 *   too, the invocation's own timers and answers would wait for it).
 * Otherwise the time went to the harness, which Lambda does not share: the service itself (DynamoDB Local on
 * this machine), an injected slow answer, the event loop of the one process hosting every invocation and
 * stand-in, busy while the request or its answer waited, or a socket of the one client the invocations
 * share (it has five containers' sockets, so this should not happen). The explanation says how much went
 * to each.
 */
export function explainRequestTimeout(facts: TimedOutAttempt): string | undefined {
  const { attempt, proxied, stalls, requestTimeoutMs, maxSockets, sharedSockets } = facts;
  const stalled = stalls.reduce((sum, stall) => sum + stall.to - stall.from, 0);
  const longest = Math.max(0, ...stalls.map((stall) => stall.to - stall.from));
  if (attempt.ownInFlight > maxSockets || longest >= requestTimeoutMs) return undefined;

  const reachedAt = Math.min(proxied?.receivedAt ?? attempt.endedAt, attempt.endedAt);
  const waitedForSocket = attempt.clientInFlight > sharedSockets;
  const where = [
    `${reachedAt - attempt.startedAt} ms before it reached the proxy` +
      (waitedForSocket
        ? ` (one of ${attempt.clientInFlight} attempts in flight on the ${attempt.client} client the soak's invocations share, ${sharedSockets} sockets; ${attempt.ownInFlight} of them its invocation's)`
        : ""),
  ];
  if (proxied?.serviceMs !== undefined) where.push(`${proxied.serviceMs} ms at the service`);
  if (proxied?.fault === "slow") where.push("an injected slow answer");
  if (proxied?.answeredAt !== undefined && proxied.answeredAt <= attempt.endedAt)
    where.push(`${attempt.endedAt - proxied.answeredAt} ms from its answer to the timeout`);
  return (
    `the SDK's ${requestTimeoutMs} ms request timeout ended an attempt after ${attempt.endedAt - attempt.startedAt} ms, ` +
    `with its invocation within the client's sockets and no stall as long as the timeout: ${where.join(", ")}; ` +
    `the soak's one process stalled ${stalled} ms meanwhile (longest ${longest} ms)`
  );
}
