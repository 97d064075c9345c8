import { type SoakResult, snsFaultRate } from "./run-soak.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function list(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${count} ${name}`)
    .join(", ");
}

/** The soak's result as a person reads it: what was sent, what failed underneath, each invariant. */
export function formatSummary(result: SoakResult): string {
  const { options, posts, events, faults, deliveries, pages } = result;
  const proxy = (name: string, stats: SoakResult["faults"]["dynamodb"]) =>
    `${name} ${stats.requests} requests, injected ${list(stats.injected) || "none"}; slowest answer of the service itself ${stats.slowestUpstreamMs} ms`;
  const sdk = faults.processor;
  const lines = [
    `hookwatch soak: seed ${options.seed}, ${options.batches} batches, ${options.liveSeconds} s live, fault rate ${options.faultRate} (SNS ${snsFaultRate(options)}), crash rate ${options.crashRate}, poison rate ${options.poisonRate}, outage ${options.outageSeconds} s, JWKS outage ${options.jwksOutageSeconds} s, ${options.largePosts} large posts`,
    `took ${seconds(result.durationMs)} (${Object.entries(result.phases)
      .map(([phase, ms]) => `${phase} ${seconds(ms)}`)
      .join(", ")})`,
    "",
    `posts       ${posts.total}: ${list(posts.byKind)}; ${posts.repeats} of them redeliveries of an earlier body; ${result.largePosts.count} large (up to ${result.largePosts.maxEvents} events, ${Math.round(result.largePosts.maxBytes / 1024)} KiB)`,
    `events      ${events.sent} sent: ${events.distinctValid} distinct valid, ${events.invalid} invalid in signed batches; ${events.stored} stored, ${events.storedByRedrive} of them only by the redrive`,
    `timeline    ${list(result.structures)}`,
    `faults      ${proxy("DynamoDB", faults.dynamodb)}`,
    `            ${proxy("SNS", faults.sns)}`,
    `            JWKS of the second app: key ${faults.jwks.rotated ? "rotated" : "not rotated"}, ${faults.jwks.refused} of ${faults.jwks.requests} fetches refused during the outage`,
    `            processor: ${sdk.invocations} invocations, at most ${result.concurrency.peak} at once (the stack allows ${result.concurrency.allowed}), ${sdk.crashes} crashed (${sdk.poisonCrashes} by a poison message), ${sdk.timeouts} timed out`,
    `            SDK calls: processor ${sdk.processor.calls} (${sdk.processor.retries} SDK retries, ${sdk.processor.injectedErrors} faults reached hookwatch), recovery ${sdk.recovery.calls} (${sdk.recovery.retries} retries, ${sdk.recovery.injectedErrors} reached it)`,
    `            DynamoDB attempts in flight: at most ${sdk.dynamodbInFlight.perInvocation} in one invocation, ${sdk.dynamodbInFlight.process} in the process (its invocations share one client)`,
    `retries     ${deliveries.attempts} deliveries, ${deliveries.failedAttempts} failed (${deliveries.requestTimeouts.count} on the SDK's request timeout), ${deliveries.outlasted} outlasted the visibility timeout; ${deliveries.retriedMessages} messages received more than once; ${deliveries.deadLetters} dead letters after ${deliveries.maxReceiveCount} receives (${deliveries.deadLettersNearPoison} in a batch with a poison message), redriven`,
    `            with the faults off, after the redrive: ${list(deliveries.redriveFailures) || "none"} failed`,
    ...(deliveries.requestTimeouts.example === undefined
      ? []
      : [`            a request timeout, e.g.: ${deliveries.requestTimeouts.example}`]),
    `pages       ${pages.triggers} triggers (${pages.delayedTriggers} delayed), ${pages.resolves} resolves; ${pages.repeats} repeated publishes; a live resolve reached on-call at most ${seconds(pages.slowestLiveResolveMs)} after its burst went quiet`,
    "",
    "invariants",
    ...result.invariants.map((invariant) =>
      invariant.held
        ? `  held    ${invariant.name} (${invariant.checked} checked)`
        : [
            `  BROKEN  ${invariant.name} (${invariant.broken} of ${invariant.checked}): ${invariant.counterexample}`,
            ...(invariant.examples ?? []).slice(1).map((example) => `          also: ${example}`),
          ].join("\n"),
    ),
    "",
    result.held ? "all invariants held" : "SOME INVARIANTS BROKE",
  ];
  return lines.join("\n");
}
