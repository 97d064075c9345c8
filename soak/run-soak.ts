import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULT_CLAIM_LEASE_MS } from "../lambdas/bursts/burst-publishing.js";
import { listOpenBursts } from "../lambdas/bursts/burst-queries.js";
import { AWS_HTTP_TIMEOUTS, MAX_SOCKETS } from "../lambdas/runtime/http-limits.js";
import { WEBHOOK_HEADERS } from "../lambdas/webhook/webhook-message.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/local-aws.js";
import { type LocalPipeline, startLocalPipeline } from "../local/local-pipeline.js";
import {
  createPreludeSigner,
  loadOrCreatePreludeSigner,
  type PreludeSigner,
} from "../local/prelude-signer.js";
import type { PollerDelivery } from "../local/sqs-poller.js";
import { countMessages } from "../local/sqs-stand-in.js";
import { watchEventLoopStalls } from "./event-loop-stalls.js";
import {
  DEFAULT_FAULT_WEIGHTS,
  type FaultMode,
  type FaultProxy,
  type FaultProxyStats,
  OUTAGE_WEIGHTS,
  startFaultProxy,
} from "./fault-proxy.js";
import { checkInvariants, type InvariantResult, type Observed, type PageSeen } from "./invariants.js";
import { type JwksOutageStats, type RotatingJwks, startRotatingJwks } from "./jwks-outage.js";
import { createProcessorFaults, type ProcessorFaultStats } from "./processor-faults.js";
import {
  readPages,
  readState,
  readStoredEvents,
  receiveDeadLetters,
  redrive,
  toDeadLetter,
} from "./read-back.js";
import { explainRequestTimeout } from "./request-timeouts.js";
import { createSeededRandom } from "./seeded-random.js";
import {
  createWorkload,
  type DeliveredPost,
  LARGE_POST_EVENTS,
  type PlannedPost,
  POST_KINDS,
  type PostKind,
  type SoakRecord,
  type Structure,
  type WorkloadRules,
} from "./workload.js";

export interface SoakOptions {
  readonly seed: string | number;
  /**
   * Concurrent processor invocations: a number, or "stack" for the event source's maximum concurrency.
   * @default "stack"
   */
  readonly processorConcurrency?: number | "stack";
  /** Webhook POSTs to send, backlog and live phase together (live clusters come on top). */
  readonly batches: number;
  /** How long the live phase runs, seconds. */
  readonly liveSeconds: number;
  /** Share of requests to DynamoDB that get a fault. */
  readonly faultRate: number;
  /**
   * Share of requests to SNS that get a fault. A run publishes only a few times per burst, so SNS fails
   * more often than DynamoDB to be reached at all.
   * @default 4 × faultRate, at most 1
   */
  readonly snsFaultRate?: number;
  /** Probability that a processor invocation crashes after a random number of SDK calls. */
  readonly crashRate: number;
  /** Share of backlog posts (at least one if above 0) that crash the processor on every delivery until the redrive. */
  readonly poisonRate: number;
  /** A full DynamoDB and SNS outage of this many seconds while the backlog is processed; 0 for none. */
  readonly outageSeconds: number;
  /** The second app rotates its key and its JWKS is down for this many seconds of the live phase; 0 for none. */
  readonly jwksOutageSeconds: number;
  /** Large signed batches (hundreds to a few thousand events each), most in the backlog, some live. */
  readonly largePosts: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS: Omit<SoakOptions, "log"> = {
  seed: 1,
  batches: 2400,
  liveSeconds: 75,
  faultRate: 0.05,
  crashRate: 0.05,
  poisonRate: 0.004,
  outageSeconds: 15,
  jwksOutageSeconds: 10,
  largePosts: 8,
};

/** SNS's fault rate: its own if set, else four times DynamoDB's (see `SoakOptions.snsFaultRate`). */
export function snsFaultRate(options: Pick<SoakOptions, "faultRate" | "snsFaultRate">): number {
  return options.snsFaultRate ?? Math.min(1, 4 * options.faultRate);
}

/** Short windows so that bursts open, go quiet and resolve within seconds; different per hook on purpose. */
export const SOAK_RULES: WorkloadRules = {
  migration: { threshold: 4, windowSeconds: 6, quietSeconds: 6 },
  "step-up": { threshold: 3, windowSeconds: 4, quietSeconds: 5 },
};
const APP_IDS = ["app_soak_one", "app_soak_two"] as const;
/** A retried message comes back after 3 s instead of the stack's 181 s; the receive count stays the stack's. */
const VISIBILITY_TIMEOUT_SECONDS = 3;
const RECOVERY_INTERVAL_SECONDS = 1;
/** A publish claim left by a crash holds this long before a retry may take over. */
const CLAIM_LEASE_MS = DEFAULT_CLAIM_LEASE_MS;
const SEND_CONCURRENCY = 4;
/** The JWKS cache refetches at most once a second here (the stack's default is 30 s), so an outage ends promptly. */
const JWKS_MIN_REFETCH_SECONDS = 1;
/** A JWKS outage lasts until the processor has found the JWKS down this many times. */
const JWKS_OUTAGE_MIN_REFUSALS = 3;

export interface SoakResult {
  readonly options: Omit<SoakOptions, "log">;
  readonly durationMs: number;
  readonly phases: Readonly<Record<string, number>>;
  readonly posts: {
    readonly total: number;
    readonly byKind: Readonly<Record<PostKind, number>>;
    readonly repeats: number;
  };
  readonly events: {
    readonly sent: number;
    readonly distinctValid: number;
    readonly invalid: number;
    readonly stored: number;
    readonly storedByRedrive: number;
  };
  readonly structures: Readonly<Record<string, number>>;
  readonly faults: {
    readonly dynamodb: FaultProxyStats;
    readonly sns: FaultProxyStats;
    readonly processor: ProcessorFaultStats;
    readonly jwks: JwksOutageStats;
  };
  /** Concurrent processor invocations: as many as the stack's event source allows. */
  readonly concurrency: { readonly allowed: number; readonly peak: number };
  /** Large posts sent, and the most events one carried. */
  readonly largePosts: { readonly count: number; readonly maxEvents: number; readonly maxBytes: number };
  readonly deliveries: {
    readonly attempts: number;
    readonly failedAttempts: number;
    /** Messages received more than once. */
    readonly retriedMessages: number;
    readonly maxReceiveCount: number;
    readonly deadLetters: number;
    /** Dead letters that shared a batch with a poison message at least once; the rest failed for other faults alone. */
    readonly deadLettersNearPoison: number;
    /** Deliveries deleted only after the visibility timeout had run out (the message was visible again). */
    readonly outlasted: number;
    /** Failed deliveries a request timeout ended, and where the first explained one's time went. */
    readonly requestTimeouts: { readonly count: number; readonly example?: string };
    /** Deliveries of redriven messages that failed with the faults off, by the start of their explanation. */
    readonly redriveFailures: Readonly<Record<string, number>>;
  };
  readonly pages: {
    readonly triggers: number;
    readonly resolves: number;
    readonly delayedTriggers: number;
    /** Publishes beyond the first of their dedup key and action (same key: folded by PagerDuty). */
    readonly repeats: number;
    /** The latest a live burst's resolve reached on-call after the burst went quiet (live bursts followed by another). */
    readonly slowestLiveResolveMs: number;
  };
  readonly invariants: readonly InvariantResult[];
  readonly held: boolean;
}

/**
 * Drives the local pipeline with a seeded workload over HTTP while DynamoDB and SNS fail underneath and
 * the processor crashes, then checks every invariant against the independent record of what was sent.
 * One run per process: the pipeline's handlers read their configuration at import.
 */
export async function runSoak(overrides: Partial<SoakOptions> = {}): Promise<SoakResult> {
  const { log = () => {}, ...options } = { ...DEFAULT_SOAK_OPTIONS, ...overrides };
  const started = Date.now();
  const phases: Record<string, number> = {};
  const mark = (phase: string, since: number) => {
    phases[phase] = Date.now() - since;
  };
  const random = createSeededRandom(options.seed);
  const normal: FaultMode = { rate: options.faultRate, weights: DEFAULT_FAULT_WEIGHTS };
  const root = await mkdtemp(join(tmpdir(), "hookwatch-soak-"));
  const proxies: FaultProxy[] = [];
  const stalls = watchEventLoopStalls();
  const closers: (() => Promise<void>)[] = [async () => stalls.stop()];
  let pipeline: LocalPipeline | undefined;
  let dynamodb: DynamoDBClient | undefined;
  let sqs: SQSClient | undefined;
  const pipelineLines: string[] = [];

  try {
    const dynamoProxy = await startFaultProxy({
      service: "dynamodb",
      random: random.fork("dynamodb"),
      mode: normal,
    });
    proxies.push(dynamoProxy);
    // SNS sees one request per page, a few dozen a run: by default it fails four times as often, to be exercised.
    const snsMode: FaultMode = { rate: snsFaultRate(options), weights: DEFAULT_FAULT_WEIGHTS };
    const snsProxy = await startFaultProxy({ service: "sns", random: random.fork("sns"), mode: snsMode });
    proxies.push(snsProxy);
    // Each app signs with its own key, as each Prelude app has its own JWKS; the first one is the dev key.
    // The second app's JWKS can rotate its key and go down.
    const secondAppJwks = await startRotatingJwks(createPreludeSigner(), createPreludeSigner());
    closers.push(() => secondAppJwks.close());
    const processorFaults = createProcessorFaults({
      random: random.fork("crashes"),
      crashRate: options.crashRate,
      // Past the fault proxy, strongly consistent: what the table holds when a claim was refused.
      readClaim: async (key) => {
        const [pk = "", sk = "", kind = ""] = key.split(" ");
        if (dynamodb === undefined || pipeline === undefined) throw new Error("the pipeline is not up yet");
        const { Item } = await dynamodb.send(
          new GetItemCommand({
            TableName: pipeline.state.stateTableName,
            Key: { pk: { S: pk }, sk: { S: sk } },
            ConsistentRead: true,
          }),
        );
        const until = Item?.[`${kind}_claim_until`]?.N;
        return {
          ...(until === undefined ? {} : { until }),
          done: Item?.[kind === "page" ? "paged_at" : "resolved_at"] !== undefined,
        };
      },
      explainError: (error, during) => {
        const { name, message = "" } = (error ?? {}) as { name?: string; message?: string };
        if (name === "RetryLaterError" && secondAppJwks.explains(message))
          return `the signature check found ${APP_IDS[1]}'s JWKS down (injected outage)`;
        // The SDK's request timeout: where the attempt's time went, from both ends of the wire.
        if (name === "TimeoutError" && message.includes("requestTimeout") && during.attempt !== undefined) {
          const { attempt } = during;
          const proxy = attempt.client === "dynamodb" ? dynamoProxy : snsProxy;
          const proxied = attempt.key === undefined ? undefined : proxy.attempt(attempt.key);
          return explainRequestTimeout({
            attempt,
            ...(proxied === undefined ? {} : { proxied }),
            stalls: stalls.between(attempt.startedAt, attempt.endedAt),
            requestTimeoutMs: AWS_HTTP_TIMEOUTS.requestTimeout,
            maxSockets: MAX_SOCKETS,
            sharedSockets: pipeline?.processor.clientSockets ?? MAX_SOCKETS,
          });
        }
        return undefined;
      },
    });
    const deliveries: PollerDelivery[] = [];
    let inFlight = 0;
    let peakInFlight = 0;

    let since = Date.now();
    log("starting the local pipeline (DynamoDB Local, SQS stand-in, SNS stand-in) behind the fault proxies…");
    pipeline = await startLocalPipeline({
      root,
      port: 0,
      appIds: APP_IDS,
      context: {
        migrationBurstThreshold: SOAK_RULES.migration.threshold,
        migrationBurstWindowSeconds: SOAK_RULES.migration.windowSeconds,
        migrationQuietSeconds: SOAK_RULES.migration.quietSeconds,
        stepUpBurstThreshold: SOAK_RULES["step-up"].threshold,
        stepUpBurstWindowSeconds: SOAK_RULES["step-up"].windowSeconds,
        stepUpQuietSeconds: SOAK_RULES["step-up"].quietSeconds,
        jwksMinRefetchSeconds: JWKS_MIN_REFETCH_SECONDS,
      },
      jwksUrls: { [APP_IDS[1]]: secondAppJwks.url },
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      recoveryIntervalSeconds: RECOVERY_INTERVAL_SECONDS,
      logLevel: "SILENT",
      log: (line) => {
        pipelineLines.push(line);
        if (pipelineLines.length > 200) pipelineLines.shift();
      },
      printPage: () => {},
      handlerEndpoints: (real) => {
        dynamoProxy.forwardTo(real.dynamodb);
        snsProxy.forwardTo(real.sns);
        return { ...real, dynamodb: dynamoProxy.url, sns: snsProxy.url };
      },
      // Counted outside the crash point: a crashed invocation is over for the poller, as for Lambda.
      wrapProcessor: (handler) => {
        const faulty = processorFaults.wrap(handler);
        return async (event, context) => {
          peakInFlight = Math.max(peakInFlight, ++inFlight);
          try {
            return await faulty(event, context);
          } finally {
            inFlight -= 1;
          }
        };
      },
      processorConcurrency: options.processorConcurrency ?? "stack",
      onDelivery: (delivery) => deliveries.push(delivery),
    });
    mark("start", since);
    const running = pipeline;
    const { state } = running;
    const maxReceiveCount = running.settings.queue.maxReceiveCount;
    const local = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const directDynamo = new DynamoDBClient({ ...local, endpoint: state.dynamodbEndpoint });
    dynamodb = directDynamo;
    const directSqs = new SQSClient({ ...local, endpoint: state.sqsEndpoint });
    sqs = directSqs;

    const firstAppSigner = await loadOrCreatePreludeSigner(join(root, ".local"));
    const sender = createSender(
      state.webhookUrl,
      (appId) => (appId === APP_IDS[1] ? secondAppJwks.current() : firstAppSigner),
      (appId) => (appId === APP_IDS[1] ? firstAppSigner : secondAppJwks.current()),
      createPreludeSigner(),
    );
    const workload = createWorkload({
      seed: options.seed,
      appIds: APP_IDS,
      rules: SOAK_RULES,
      startMs: Date.now(),
    });
    const delivered: DeliveredPost[] = [];
    const queueEmpty = async () => (await countMessages(directSqs, state.queueUrl)) === 0;
    // The sparse open-bursts index, not a read of the whole state table, every 250 ms.
    const noOpenBursts = async () =>
      (
        await listOpenBursts({
          client: directDynamo,
          eventsTableName: state.eventsTableName,
          stateTableName: state.stateTableName,
          retentionDays: 0,
        })
      ).length === 0;
    const progress = () => {
      const stats = processorFaults.stats();
      return `${stats.invocations} invocations, ${stats.crashes} crashed so far`;
    };

    // The backlog: two weeks of failures redelivered at once, while DynamoDB and SNS fail underneath.
    since = Date.now();
    const liveLarge = Math.floor(options.largePosts / 4);
    const backlog = random
      .fork("large")
      .shuffle([
        ...workload.backlog(Math.round(options.batches * 0.7)),
        ...workload.largePosts(options.largePosts - liveLarge, "backlog", Date.now()),
      ]);
    const signedBacklog = backlog.filter((post) => post.kind === "signed");
    const poisonCount =
      options.poisonRate > 0 ? Math.max(1, Math.round(options.poisonRate * backlog.length)) : 0;
    const poison = workload.poison(signedBacklog, poisonCount);
    processorFaults.addPoison(poison.map((post) => post.body));
    log(
      `backlog: sending ${backlog.length} posts (${workload.structures.length} structures in the timelines, ${poison.length} poison)…`,
    );
    const outage =
      options.outageSeconds > 0
        ? scheduleOutage(
            [
              [dynamoProxy, normal],
              [snsProxy, snsMode],
            ],
            3_000,
            options.outageSeconds * 1000,
            log,
          )
        : undefined;
    delivered.push(...(await sender.sendAll(backlog)));
    log(`backlog: sent in ${seconds(Date.now() - since)}; waiting for the processor to drain the queue…`);
    await outage?.done;
    await waitUntil("the backlog to drain", queueEmpty, 20 * 60_000, () => progress());
    mark("backlog", since);
    log(`backlog: drained after ${seconds(Date.now() - since)}`);

    // The live phase: bursts happening now, one after another per group, with background traffic.
    since = Date.now();
    const liveEnd = Date.now() + options.liveSeconds * 1000;
    const backgroundTotal = Math.max(0, options.batches - backlog.length);
    const pagesNow = () => readPages(state.pagerFile);
    const liveClusters: Structure[] = [];
    const background = (async () => {
      const perTick = backgroundTotal / (options.liveSeconds * 4);
      let owed = 0;
      const sending: Promise<DeliveredPost[]>[] = [];
      while (Date.now() < liveEnd) {
        owed += perTick;
        const count = Math.floor(owed);
        owed -= count;
        if (count > 0) sending.push(sender.sendAll(workload.background(count, Date.now())));
        await sleep(250);
      }
      for (const posts of await Promise.all(sending)) delivered.push(...posts);
    })();
    const jwksOutage =
      options.jwksOutageSeconds > 0
        ? scheduleJwksOutage(
            secondAppJwks,
            (options.liveSeconds * 1000) / 3,
            options.jwksOutageSeconds * 1000,
            log,
          )
        : undefined;
    const large = (async () => {
      for (let i = 0; i < liveLarge; i++) {
        await sleep((options.liveSeconds * 1000) / (liveLarge + 1));
        delivered.push(...(await sender.sendAll(workload.largePosts(1, "live", Date.now()))));
      }
    })();
    let slowestLiveResolveMs = 0;
    const groupLoops = workload.groups.map(async (group) => {
      let last: Structure | undefined;
      while (Date.now() < liveEnd) {
        if (last !== undefined) {
          const previous = last;
          // One burst at a time per group: the next starts once on-call has seen the last one resolved.
          // Until its resolve is out the burst is open, and an open live burst takes every later failure of
          // its group (docs/how-it-works.md), so a cluster sent sooner would continue it, not page anew.
          // Faults can hold a resolve up for more than one claim lease (a crash holding the page's claim,
          // then a resolve claim whose answer was lost): the wait is bounded only by the live phase.
          const quietAt = previous.lastMs + SOAK_RULES[group.hook].quietSeconds * 1000;
          const resolved = await waitUntil(
            `the resolve of ${previous.id}`,
            async () => resolvedIn(await pagesNow(), previous),
            liveEnd - Date.now(),
            undefined,
            false,
          );
          if (resolved) slowestLiveResolveMs = Math.max(slowestLiveResolveMs, Date.now() - quietAt);
        }
        const wait = workload.nextLiveStart(group) - Date.now();
        if (wait > 0) await sleep(wait);
        if (Date.now() >= liveEnd) break;
        const planned = workload.liveCluster(group, Date.now());
        if (planned === undefined) continue;
        last = planned.cluster;
        liveClusters.push(planned.cluster);
        delivered.push(...(await sender.sendAll(planned.posts)));
      }
    });
    await Promise.all([background, large, jwksOutage?.done, ...groupLoops]);
    log(
      `live: ${liveClusters.length} live bursts sent in ${seconds(Date.now() - since)}; waiting for the queue and the resolves…`,
    );
    await waitUntil("the live traffic to drain", queueEmpty, 10 * 60_000);
    const lastLive = Math.max(0, ...liveClusters.map((cluster) => cluster.lastMs));
    const longestQuietMs = Math.max(...Object.values(SOAK_RULES).map((rule) => rule.quietSeconds)) * 1000;
    await sleep(Math.max(0, lastLive + longestQuietMs + 2 * RECOVERY_INTERVAL_SECONDS * 1000 - Date.now()));
    await waitUntil("every burst to resolve", noOpenBursts, CLAIM_LEASE_MS + 30_000, undefined, false);
    mark("live", since);

    // The dead-letter queue: explained by the faults, then redriven with the faults off.
    since = Date.now();
    const deadMessages = await receiveDeadLetters(directSqs, state.deadLetterQueueUrl);
    const attemptsBeforeRedrive = processorFaults.attempts().length;
    const keysBeforeRedrive = new Set(
      (await readStoredEvents(directDynamo, state.eventsTableName)).map((e) => e.key),
    );
    for (const proxy of proxies) proxy.setMode({ rate: 0, weights: {} });
    processorFaults.setEnabled(false);
    // The redrive proves the record completes, not retry timing: with the stack's own visibility timeout a
    // slow but successful delivery (a large batch on a busy machine) is not taken for a failed one.
    await directSqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: state.queueUrl,
        Attributes: { VisibilityTimeout: String(running.settings.queue.visibilityTimeoutSeconds) },
      }),
    );
    log(`dead-letter queue: ${deadMessages.length} message(s); faults off, redriving…`);
    await redrive(directSqs, deadMessages, {
      deadLetterQueueUrl: state.deadLetterQueueUrl,
      queueUrl: state.queueUrl,
    });
    // Faults off, a redriven message is still retried by design (a claim a crash left held, a group's head
    // moved by the other redriven messages), each time after the stack's visibility timeout: it may take
    // every receive it has before the dead-letter queue, and the invariants then say whether each was explained.
    await waitUntil(
      "the redriven messages to drain",
      queueEmpty,
      maxReceiveCount * running.settings.queue.visibilityTimeoutSeconds * 1000 + 60_000,
    );
    await waitUntil(
      "every burst to resolve after the redrive",
      noOpenBursts,
      CLAIM_LEASE_MS + 30_000,
      undefined,
      false,
    );
    mark("redrive", since);

    // The record against what the pipeline holds.
    const events = await readStoredEvents(directDynamo, state.eventsTableName);
    const stateItems = await readState(directDynamo, state.stateTableName);
    const pages = await readPages(state.pagerFile);
    const leftInQueues =
      (await countMessages(directSqs, state.queueUrl)) +
      (await countMessages(directSqs, state.deadLetterQueueUrl));
    const record: SoakRecord = {
      rules: SOAK_RULES,
      appIds: APP_IDS,
      posts: delivered,
      structures: workload.structures,
    };
    const observed: Observed = {
      events,
      keysBeforeRedrive,
      quarantined: stateItems.quarantined,
      rejected: stateItems.rejected,
      pages,
      openBursts: stateItems.openBursts,
      burstsByGroup: stateItems.burstsByGroup,
      headWrites: processorFaults.headWrites(),
      deadLetters: deadMessages.map(toDeadLetter),
      leftInQueues,
      attempts: processorFaults.attempts(),
      attemptsBeforeRedrive,
      deliveries,
      maxReceiveCount,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    };
    const invariants = checkInvariants(record, observed);
    return summarize({
      options,
      started,
      phases,
      record,
      observed,
      invariants,
      faults: {
        dynamodb: dynamoProxy.stats(),
        sns: snsProxy.stats(),
        processor: processorFaults.stats(),
        jwks: secondAppJwks.stats(),
      },
      concurrency: {
        allowed: running.processor.concurrency,
        peak: peakInFlight,
      },
      slowestLiveResolveMs,
    });
  } catch (error) {
    if (pipelineLines.length > 0) log(`last pipeline lines:\n${pipelineLines.slice(-15).join("\n")}`);
    throw error;
  } finally {
    dynamodb?.destroy();
    sqs?.destroy();
    await pipeline?.stop();
    for (const proxy of proxies) await proxy.close();
    for (const close of closers) await close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Failed deliveries counted by what their explanation (or its absence) starts with. */
function tallyFailures(attempts: Observed["attempts"]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const attempt of attempts) {
    if (attempt.outcome === "ok") continue;
    const why = (attempt.explanation ?? "unexplained").split(/ while | held by |: /)[0] ?? "";
    tally[why] = (tally[why] ?? 0) + 1;
  }
  return tally;
}

function requestTimeoutsOf(attempts: Observed["attempts"]): SoakResult["deliveries"]["requestTimeouts"] {
  const timedOut = attempts.filter((attempt) =>
    `${attempt.explanation ?? ""} ${attempt.unexplained ?? ""}`.includes("request timeout"),
  );
  const example = timedOut.find((attempt) => attempt.explanation?.includes("request timeout"))?.explanation;
  return { count: timedOut.length, ...(example === undefined ? {} : { example }) };
}

function summarize(input: {
  options: Omit<SoakOptions, "log">;
  started: number;
  phases: Record<string, number>;
  record: SoakRecord;
  observed: Observed;
  invariants: InvariantResult[];
  faults: SoakResult["faults"];
  concurrency: SoakResult["concurrency"];
  slowestLiveResolveMs: number;
}): SoakResult {
  const { record, observed } = input;
  const byKind = Object.fromEntries(
    POST_KINDS.map((kind) => [kind, record.posts.filter((post) => post.kind === kind).length]),
  ) as Record<PostKind, number>;
  const valid = new Set<string>();
  let invalid = 0;
  let sent = 0;
  for (const post of record.posts) {
    sent += post.events.length;
    if (post.kind !== "signed") continue;
    for (const event of post.events) {
      if (event.verdict === "store") valid.add(event.raw);
      else invalid += 1;
    }
  }
  const structures: Record<string, number> = {};
  for (const structure of record.structures) {
    const name = structure.kind === "cluster" ? `${structure.phase} bursts` : `${structure.kind}s`;
    structures[name] = (structures[name] ?? 0) + 1;
  }
  const receives = new Map<string, number>();
  for (const attempt of observed.attempts)
    receives.set(attempt.requestId, (receives.get(attempt.requestId) ?? 0) + 1);
  const seen = new Set<string>();
  let repeats = 0;
  for (const page of observed.pages) {
    const key = `${page.action}#${page.dedupKey}`;
    if (seen.has(key)) repeats += 1;
    seen.add(key);
  }
  const large = record.posts.filter((post) => post.events.length >= LARGE_POST_EVENTS[0]);
  const storedByRedrive = observed.events.filter(
    (event) => !observed.keysBeforeRedrive.has(event.key),
  ).length;
  return {
    options: input.options,
    durationMs: Date.now() - input.started,
    phases: input.phases,
    posts: {
      total: record.posts.length,
      byKind,
      repeats: record.posts.filter((post) => post.repeats).length,
    },
    events: { sent, distinctValid: valid.size, invalid, stored: observed.events.length, storedByRedrive },
    structures,
    faults: input.faults,
    concurrency: input.concurrency,
    largePosts: {
      count: large.length,
      maxEvents: Math.max(0, ...large.map((post) => post.events.length)),
      maxBytes: Math.max(0, ...large.map((post) => Buffer.byteLength(post.body))),
    },
    deliveries: {
      attempts: observed.attempts.length,
      failedAttempts: observed.attempts.filter((attempt) => attempt.outcome !== "ok").length,
      retriedMessages: [...receives.values()].filter((count) => count > 1).length,
      maxReceiveCount: observed.maxReceiveCount,
      deadLetters: observed.deadLetters.length,
      deadLettersNearPoison: observed.deadLetters.filter((letter) =>
        observed.attempts.some(
          (attempt) => attempt.requestId === letter.requestId && attempt.explanation?.includes("poison"),
        ),
      ).length,
      outlasted: observed.deliveries.filter(
        (delivery) =>
          delivery.deletedAt !== undefined &&
          delivery.deletedAt - delivery.receiveSentAt >= observed.visibilityTimeoutSeconds * 1000,
      ).length,
      requestTimeouts: requestTimeoutsOf(observed.attempts),
      redriveFailures: tallyFailures(observed.attempts.slice(observed.attemptsBeforeRedrive)),
    },
    pages: {
      triggers: observed.pages.filter((page: PageSeen) => page.action === "trigger").length,
      resolves: observed.pages.filter((page) => page.action === "resolve").length,
      delayedTriggers: observed.pages.filter((page) => page.action === "trigger" && page.delayed).length,
      repeats,
      slowestLiveResolveMs: input.slowestLiveResolveMs,
    },
    invariants: input.invariants,
    held: input.invariants.every((invariant) => invariant.held),
  };
}

/** Whether on-call has seen `cluster` resolved: a resolve page of its group inside its window. */
function resolvedIn(pages: readonly PageSeen[], cluster: Structure): boolean {
  return pages.some(
    (page) =>
      page.action === "resolve" &&
      page.appId === cluster.group.appId &&
      page.hook === cluster.group.hook &&
      page.windowStartMs >= cluster.firstMs &&
      page.windowEndMs <= cluster.lastMs,
  );
}

/**
 * Posts webhooks as Prelude does: signed with the app's current key, retried on anything but a 4xx, a
 * few at a time. `ownKey` is the key of the app a body claims; `otherKey` the other app's (cross-app).
 */
function createSender(
  webhookUrl: string,
  ownKey: (appId: string) => PreludeSigner,
  otherKey: (appId: string) => PreludeSigner,
  stranger: PreludeSigner,
) {
  async function deliver(post: PlannedPost): Promise<DeliveredPost> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (post.kind !== "unsigned") {
      const own = ownKey(post.appId);
      const signer =
        post.kind === "forged" ? stranger : post.kind === "cross-app" ? otherKey(post.appId) : own;
      headers[WEBHOOK_HEADERS.signature] = signer.sign(post.body);
      // A forger copies the app's real key id; only the signature gives it away.
      headers[WEBHOOK_HEADERS.signatureKeyId] = post.kind === "forged" ? own.kid : signer.kid;
    }
    let last: { status: number; requestId?: string; answer: string } = { status: 0, answer: "" };
    for (let tries = 1; ; tries++) {
      try {
        const response = await fetch(webhookUrl, { method: "POST", headers, body: post.body });
        const requestId = response.headers.get("x-amzn-requestid") ?? undefined;
        last = {
          status: response.status,
          ...(requestId === undefined ? {} : { requestId }),
          answer: await response.text(),
        };
      } catch (error) {
        last = { status: 0, answer: (error as Error).message };
      }
      const final = (last.status >= 200 && last.status < 500) || tries >= 5;
      if (final) return { ...post, delivery: { ...last, tries } };
      await sleep(200 * tries);
    }
  }

  return {
    async sendAll(posts: readonly PlannedPost[]): Promise<DeliveredPost[]> {
      const results: DeliveredPost[] = new Array(posts.length);
      let next = 0;
      const worker = async () => {
        while (next < posts.length) {
          const index = next++;
          results[index] = await deliver(posts[index] as PlannedPost);
        }
      };
      await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, posts.length) }, worker));
      return results;
    },
  };
}

/**
 * The app rotates its key and its JWKS goes down at once: signatures with the new key cannot be checked.
 * The outage lasts `durationMs`, and beyond that until the processor has met it (a few refused fetches),
 * however late a loaded machine gets to the new signatures; never longer than a minute more.
 */
function scheduleJwksOutage(
  jwks: RotatingJwks,
  afterMs: number,
  durationMs: number,
  log: (line: string) => void,
): { done: Promise<void> } {
  const done = (async () => {
    await sleep(afterMs);
    log(
      `JWKS outage: the second app rotates its key and its JWKS answers 503 for ${seconds(durationMs)} or more`,
    );
    jwks.rotate();
    jwks.setDown(true);
    const started = Date.now();
    await sleep(durationMs);
    while (jwks.stats().refused < JWKS_OUTAGE_MIN_REFUSALS && Date.now() - started < durationMs + 60_000) {
      await sleep(250);
    }
    jwks.setDown(false);
    log(`JWKS outage: over after ${seconds(Date.now() - started)} (${jwks.stats().refused} fetches refused)`);
  })();
  return { done };
}

/** Every proxy fails every request for a while, then returns to its normal fault rate. */
function scheduleOutage(
  proxies: readonly (readonly [FaultProxy, FaultMode])[],
  afterMs: number,
  durationMs: number,
  log: (line: string) => void,
): { done: Promise<void> } {
  const done = (async () => {
    await sleep(afterMs);
    log(`outage: DynamoDB and SNS fail every request for ${seconds(durationMs)}`);
    for (const [proxy] of proxies) proxy.setMode({ rate: 1, weights: OUTAGE_WEIGHTS });
    await sleep(durationMs);
    for (const [proxy, mode] of proxies) proxy.setMode(mode);
    log("outage: over");
  })();
  return { done };
}

async function waitUntil(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs: number,
  describe?: () => string,
  failOnTimeout = true,
): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) {
      if (failOnTimeout) throw new Error(`gave up waiting for ${what}${describe ? ` (${describe()})` : ""}`);
      return false;
    }
    await sleep(250);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
