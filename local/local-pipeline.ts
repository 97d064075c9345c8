import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { answerChallenge } from "../lambdas/challenge/answer-challenge.js";
import { MAX_SOCKETS } from "../lambdas/runtime/http-limits.js";
import { shareSocketsLikeContainers } from "./container-sockets.js";
import { createTables } from "./create-tables.js";
import { startDynamoDbLocal } from "./dynamodb-local.js";
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalEndpoints,
  localAwsEnvironment,
  UNSET_AWS_VARIABLES,
} from "./local-aws.js";
import {
  DEFAULT_LOCAL_DESTINATIONS,
  type LocalDestinations,
  startLocalDestinations,
} from "./local-destinations.js";
import { DEFAULT_APP_ID, PAGER_FILE, VERIFICATION_TOKEN_FILE } from "./local-files.js";
import { createLocalPager } from "./local-pager.js";
import {
  isProcessAlive,
  LOCAL_DIRECTORY,
  type LocalPipelineState,
  PIPELINE_STATE_FILE,
  readPipelineState,
} from "./pipeline-state.js";
import { loadOrCreatePreludeSigner } from "./prelude-signer.js";
import { startRecoveryClock } from "./recovery-clock.js";
import { type PublishRecord, startSnsStandIn } from "./sns-stand-in.js";
import { type PollerDelivery, type SqsHandler, startSqsPoller } from "./sqs-poller.js";
import { startSqsStandIn } from "./sqs-stand-in.js";
import {
  readDeliverySettings,
  readStackSettings,
  resolveEnvironment,
  type StackSettings,
} from "./stack-settings.js";
import { type CfnTemplate, synthesizeStackTemplate } from "./stack-template.js";
import { type TableRole, tableDefinitionsFromTemplate } from "./tables-from-template.js";
import { explainListenError, startWebhookEndpoint } from "./webhook-endpoint.js";

/** Another `npm start` is running on this project (its pipeline.json names a live process). */
export class AlreadyRunningError extends Error {
  override name = "AlreadyRunningError";
}

export interface LocalPipelineOptions {
  /**
   * The project directory; its `.local` folder holds the dev key, the verification token, the pager
   * file, persisted data and pipeline.json.
   * @default process.cwd()
   */
  readonly root?: string;
  /** Port of the webhook endpoint on 127.0.0.1; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Prelude app ids the pipeline accepts. @default ["app_local"] */
  readonly appIds?: readonly string[];
  /** Keep DynamoDB data under `.local/dynamodb` across runs. @default false (in memory) */
  readonly persist?: boolean;
  /** CDK context for the synthesis, as `-c key=value` gives it (burst thresholds, retention, …). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Shorter queue visibility timeout than the stack's, so a retry comes back sooner (tests). */
  readonly visibilityTimeoutSeconds?: number;
  /** Shorter recovery interval than the stack's schedule (tests). */
  readonly recoveryIntervalSeconds?: number;
  /** JWKS URL per app instead of the local development JWKS (which every other app uses). */
  readonly jwksUrls?: Readonly<Record<string, string>>;
  /** Powertools log level of the handlers. @default "WARN" */
  readonly logLevel?: string;
  /** One line about what the pipeline did (a request, an invocation, a recovery run). */
  readonly log?: (line: string) => void;
  /** A page, as the terminal shows it. */
  readonly printPage?: (text: string) => void;
  /** Colour the page banner. @default false */
  readonly color?: boolean;
  /** Aborts a start in progress (Ctrl-C while starting): what started is stopped, the start rejects. */
  readonly signal?: AbortSignal;
  /**
   * Where the handlers' SDK clients send their requests, given the stand-ins' endpoints; for example through
   * a fault-injecting proxy (the soak test). @default the stand-ins themselves
   */
  readonly handlerEndpoints?: (endpoints: LocalEndpoints) => LocalEndpoints;
  /** Wraps the processor handler the poller invokes; for example to crash it mid-batch (the soak test). */
  readonly wrapProcessor?: (handler: SqsHandler) => SqsHandler;
  /**
   * Concurrent processor invocations: a number, or "stack" for as many as the stack's event source allows
   * (its maximum concurrency). @default 1
   */
  readonly processorConcurrency?: number | "stack";
  /** Told what became of each message the processor was handed, and when (the soak's exact record). */
  readonly onDelivery?: (delivery: PollerDelivery) => void;
}

/** Without a `destinations` setting, the local run delivers to one PagerDuty and one webhook stand-in. */
function withLocalDestinations(context: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return context.destinations === undefined
    ? { ...context, destinations: JSON.stringify(DEFAULT_LOCAL_DESTINATIONS) }
    : { ...context };
}

export interface LocalPipeline {
  /** What pipeline.json holds while the pipeline runs. */
  readonly state: LocalPipelineState;
  /** The stack settings the pipeline mirrors. */
  readonly settings: StackSettings;
  /** Where the local pipeline differs from the stack, one sentence each. */
  readonly deviations: readonly string[];
  readonly jwksUrl: string;
  readonly signingKeyId: string;
  /** The development verification token for the activation challenge (kept in `.local`). */
  readonly verificationToken: string;
  readonly verificationTokenFile: string;
  /** How long synthesizing the stack took (most of the start time). */
  readonly synthesisMs: number;
  /** The delivery functions' queues and the destinations' stand-ins (PagerDuty, webhook receiver). */
  readonly destinations: LocalDestinations;
  /** Processor invocations run at once, and the sockets per endpoint of the clients they share. */
  readonly processor: { readonly concurrency: number; readonly clientSockets: number };
  /** Stops every part, removes pipeline.json; safe to call more than once. */
  stop(): Promise<void>;
}

const DEFAULT_PORT = 3000;
// Names of the local tables; the stack's own names are generated by CloudFormation.
const tableName = (role: TableRole) => `hookwatch-${role}`;

// The handlers read their configuration once, when first imported: one pipeline per process.
let started = false;

/**
 * Starts hookwatch on this machine from the synthesized stack: DynamoDB Local with the stack's tables,
 * the SQS stand-in with the stack's queues, the webhook endpoint running the stack's mapping template,
 * the processor fed like Lambda's event source, the recovery handler on the stack's schedule, and an
 * SNS stand-in whose publishes go to the local pager. Sets `process.env` for the handlers.
 */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const root = resolve(options.root ?? process.cwd());
  const directory = join(root, LOCAL_DIRECTORY);
  const port = options.port ?? DEFAULT_PORT;
  const appIds = options.appIds ?? [DEFAULT_APP_ID];
  const log = options.log ?? ((line: string) => console.log(line));
  const printPage = options.printPage ?? ((text: string) => console.log(text));

  await assertNotRunning(root);
  if (port !== 0) await assertPortFree(port);
  if (started) {
    throw new Error(
      "startLocalPipeline runs once per process: the handlers read their configuration at import",
    );
  }

  // Between steps: a Ctrl-C while starting stops what has started instead of leaving it running.
  const checkpoint = () => options.signal?.throwIfAborted();
  checkpoint();
  log("synthesizing the stack and starting DynamoDB Local…");
  const cleanup: (() => Promise<void>)[] = [];
  const stop = once(async () => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        log(`while stopping: ${(error as Error).message}`);
      }
    }
  });

  try {
    const dynamoStarting = startDynamoDbLocal(
      options.persist ? { dataDirectory: join(directory, "dynamodb") } : {},
    );
    cleanup.push(async () => (await dynamoStarting.catch(() => undefined))?.stop());
    // A missing Java fails before DynamoDB Local's first await: report it now, not after the synthesis.
    const early = await Promise.race([
      dynamoStarting.then(
        () => undefined,
        (error: unknown) => error,
      ),
      new Promise((done) => setImmediate(done)),
    ]);
    if (early instanceof Error) throw early;
    checkpoint();

    const synthStarted = Date.now();
    const template = synthesizeWithoutTemplateValidation({
      appIds: appIds.join(","),
      ...withLocalDestinations(options.context),
    });
    const synthesisMs = Date.now() - synthStarted;
    checkpoint();
    const settings = readStackSettings(template);
    const deviations: string[] = [];

    const signer = await loadOrCreatePreludeSigner(directory);
    const jwks = await signer.serveJwks();
    cleanup.push(() => jwks.close());
    const tokenFile = join(directory, VERIFICATION_TOKEN_FILE);
    const verificationToken = await loadOrCreateVerificationToken(tokenFile);

    const visibilityTimeoutSeconds =
      options.visibilityTimeoutSeconds ?? settings.queue.visibilityTimeoutSeconds;
    if (options.visibilityTimeoutSeconds !== undefined) {
      deviations.push(
        `queue visibility timeout ${visibilityTimeoutSeconds} s instead of the stack's ${settings.queue.visibilityTimeoutSeconds} s, so retries come back sooner`,
      );
    }
    const sqs = await startSqsStandIn({
      queue: { ...settings.queue, visibilityTimeoutSeconds },
      deadLetterQueue: settings.deadLetterQueue,
    });
    cleanup.push(() => sqs.close());
    checkpoint();
    const destinations = await startLocalDestinations({
      sqs: sqs.client,
      deliveries: readDeliverySettings(template),
      ...(options.visibilityTimeoutSeconds === undefined
        ? {}
        : { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }),
      log,
    });
    cleanup.push(() => destinations.close());
    if (destinations.deliveries.length > 0) {
      deviations.push(
        "pages are delivered to local stand-ins of each destination (PagerDuty Events API v2, a webhook receiver), with generated secrets",
      );
    }

    const topics = new Set<string>();
    const local = {
      tableName,
      topicArnFor: (variable: string) => {
        const name = variable
          .replace(/_TOPIC_ARN$/, "")
          .toLowerCase()
          .replaceAll("_", "-");
        const arn = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:hookwatch-${name}`;
        topics.add(arn);
        return arn;
      },
    };
    const environment = mergeEnvironments(
      resolveEnvironment(template, settings.processor.environment, local),
      resolveEnvironment(template, settings.recovery.environment, local),
    );
    const pagerFile = join(directory, PAGER_FILE);
    const sns = await startSnsStandIn({
      topicArns: [...topics],
      onPublish: fanOutAfter(
        createLocalPager({ file: pagerFile, print: printPage, color: options.color ?? false }),
        destinations,
      ),
    });
    cleanup.push(() => sns.close());
    checkpoint();

    const dynamodb = await dynamoStarting;
    checkpoint();
    const tables = await prepareTables(dynamodb.endpoint, template);
    if (tables.reused) deviations.push("DynamoDB data persisted under .local/dynamodb (--persist)");

    const endpoints = {
      dynamodb: dynamodb.endpoint,
      sqs: sqs.endpoint,
      sns: sns.endpoint,
      secretsManager: destinations.secretsManager.endpoint,
    };
    deviations.push(
      ...configureHandlers(
        environment,
        options.handlerEndpoints?.(endpoints) ?? endpoints,
        jwks.url,
        options,
      ),
    );
    started = true;
    const processor = await import("../lambdas/processor/handler.js");
    const recovery = await import("../lambdas/recovery/handler.js");
    const stackConcurrency = settings.eventSource.maximumConcurrency;
    const concurrency =
      options.processorConcurrency === "stack"
        ? (stackConcurrency ?? 1)
        : Math.max(1, options.processorConcurrency ?? 1);
    const clients = await import("../lambdas/runtime/aws-clients.js");
    let clientSockets = MAX_SOCKETS;
    for (const client of [clients.dynamodb, clients.sns])
      clientSockets = (await shareSocketsLikeContainers(client, concurrency)) ?? MAX_SOCKETS;

    const poller = startSqsPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      deadLetterQueueUrl: sqs.deadLetterQueueUrl,
      region: LOCAL_REGION,
      handler: options.wrapProcessor?.(processor.handler) ?? processor.handler,
      batchSize: settings.eventSource.batchSize,
      maximumBatchingWindowSeconds: settings.eventSource.maximumBatchingWindowSeconds,
      reportBatchItemFailures: settings.eventSource.reportBatchItemFailures,
      timeoutSeconds: settings.processor.timeoutSeconds,
      memorySize: settings.processor.memorySize,
      visibilityTimeoutSeconds,
      maxReceiveCount: settings.queue.maxReceiveCount,
      functionName: "hookwatch-local-processor",
      log,
      concurrency,
      ...(options.onDelivery === undefined ? {} : { onDelivery: options.onDelivery }),
    });
    cleanup.push(() => poller.stop());
    if (stackConcurrency !== undefined && concurrency !== stackConcurrency) {
      deviations.push(
        `${concurrency === 1 ? "one processor invocation" : `${concurrency} processor invocations`} at a time (the stack allows ${stackConcurrency} concurrent ones)`,
      );
    }

    await startDeliveryPollers(destinations, sqs.client, log, cleanup);

    const intervalSeconds = options.recoveryIntervalSeconds ?? settings.recovery.rateSeconds;
    if (options.recoveryIntervalSeconds !== undefined) {
      deviations.push(
        `recovery every ${intervalSeconds} s instead of the stack's ${settings.recovery.scheduleExpression}`,
      );
    }
    const clock = startRecoveryClock({
      handler: recovery.handler,
      intervalSeconds,
      timeoutSeconds: settings.recovery.timeoutSeconds,
      memorySize: settings.recovery.memorySize,
      region: LOCAL_REGION,
      functionName: "hookwatch-local-recovery",
      log,
    });
    cleanup.push(() => clock.stop());

    const endpoint = await startWebhookEndpoint({
      port,
      path: settings.webhookPost.path,
      post: settings.webhookPost,
      sendMessage: (parameters) => sqs.sendMessage(parameters),
      answerChallenge: (query) => answerChallenge(query, verificationToken, settings.challengeAppIds),
      log,
    });
    cleanup.push(() => endpoint.close());
    checkpoint();

    const state: LocalPipelineState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      region: LOCAL_REGION,
      webhookUrl: endpoint.url,
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
      snsEndpoint: sns.endpoint,
      eventsTableName: tables.names.events,
      stateTableName: tables.names.state,
      queueUrl: sqs.queueUrl,
      deadLetterQueueUrl: sqs.deadLetterQueueUrl,
      pagerFile,
      ...(environment.PAGING_TOPIC_ARN === undefined ? {} : { pagingTopicArn: environment.PAGING_TOPIC_ARN }),
      appIds: environment.PRELUDE_APP_IDS?.split(",").map((id) => id.trim()) ?? appIds,
      deliveries: destinations.deliveries.map((delivery) => ({
        name: delivery.destination.name,
        queueUrl: delivery.queueUrl,
        deadLetterQueueUrl: delivery.deadLetterQueueUrl,
      })),
    };
    const stateFile = join(root, PIPELINE_STATE_FILE);
    await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    cleanup.push(async () => {
      // Only our own: a second instance refused at start must not remove the running one's file.
      if ((await readPipelineState(root))?.pid === process.pid) await rm(stateFile, { force: true });
    });

    return {
      state,
      settings,
      deviations,
      jwksUrl: jwks.url,
      signingKeyId: signer.kid,
      verificationToken,
      verificationTokenFile: tokenFile,
      synthesisMs,
      destinations,
      processor: { concurrency, clientSockets },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The SNS topic's subscribers: the local pager (the email/SMS view), then each delivery queue. */
function fanOutAfter(
  pager: (record: PublishRecord) => Promise<void>,
  destinations: LocalDestinations,
): (record: PublishRecord) => Promise<void> {
  return async (record) => {
    await pager(record);
    await destinations.fanOut(record);
  };
}

/** One poller per destination, each invoking that destination's delivery handler as its event source would. */
async function startDeliveryPollers(
  destinations: LocalDestinations,
  client: SQSClient,
  log: (line: string) => void,
  cleanup: (() => Promise<void>)[],
): Promise<void> {
  const { createDeliveryHandler } = await import("../lambdas/delivery/create-delivery-handler.js");
  for (const delivery of destinations.deliveries) {
    const { settings, destination } = delivery;
    const poller = startSqsPoller({
      client,
      queueUrl: delivery.queueUrl,
      queueArn: delivery.queueArn,
      deadLetterQueueUrl: delivery.deadLetterQueueUrl,
      region: LOCAL_REGION,
      handler: createDeliveryHandler({ ...process.env, ...delivery.environment }),
      batchSize: settings.batchSize,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: settings.reportBatchItemFailures,
      timeoutSeconds: settings.function.timeoutSeconds,
      memorySize: settings.function.memorySize,
      visibilityTimeoutSeconds: delivery.visibilityTimeoutSeconds,
      maxReceiveCount: settings.queue.maxReceiveCount,
      functionName: `hookwatch-local-delivery-${destination.name}`,
      label: `delivery to ${destination.name}`,
      log,
    });
    cleanup.push(() => poller.stop());
  }
}

/**
 * The synthesized stack, without CDK's built-in CloudFormation schema validation: it takes half the
 * synthesis time, and `cdk synth` and the infra tests run it; the local pipeline only reads the template.
 */
function synthesizeWithoutTemplateValidation(context: Record<string, unknown>): CfnTemplate {
  const before = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = "false";
  try {
    return synthesizeStackTemplate(context);
  } finally {
    if (before === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = before;
  }
}

/**
 * Sets the handlers' environment before they are imported: the stack's Lambda environment with local
 * names, the stand-ins' endpoints, dummy credentials, and the development JWKS for every app.
 */
function configureHandlers(
  environment: Record<string, string>,
  endpoints: LocalEndpoints,
  jwksUrl: string,
  options: LocalPipelineOptions,
): string[] {
  const deviations: string[] = [];
  const {
    NODE_OPTIONS: _ignored,
    HMAC_SECRET_ARN: hmacSecretArn,
    JWKS_URLS: jwksUrls,
    ...lambda
  } = environment;
  for (const name of UNSET_AWS_VARIABLES) delete process.env[name];
  delete process.env.JWKS_URLS;
  delete process.env.HMAC_SECRET_ARN;
  Object.assign(process.env, localAwsEnvironment(endpoints), lambda, {
    JWKS_URL_TEMPLATE: jwksUrl,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? "WARN",
    // Locally, EMF metric blobs on stdout would bury everything else.
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  if (options.jwksUrls !== undefined) process.env.JWKS_URLS = JSON.stringify(options.jwksUrls);
  if (jwksUrls !== undefined) deviations.push("the stack's per-app JWKS URLs are replaced by the local JWKS");
  if (hmacSecretArn !== undefined) {
    deviations.push(
      "sha256= (HMAC) signatures are not verified locally: the secret lives in Secrets Manager",
    );
  }
  return deviations;
}

/** The processor and recovery share one process, so they must agree on every variable. */
function mergeEnvironments(
  processor: Record<string, string>,
  recovery: Record<string, string>,
): Record<string, string> {
  for (const [name, value] of Object.entries(recovery)) {
    if (processor[name] !== undefined && processor[name] !== value) {
      throw new Error(
        `the processor and recovery functions set ${name} differently; the local pipeline runs both in one process`,
      );
    }
  }
  return { ...recovery, ...processor };
}

/** Creates the stack's tables, or checks that persisted ones still have the stack's keys. */
async function prepareTables(
  endpoint: string,
  template: CfnTemplate,
): Promise<{ names: Record<TableRole, string>; reused: boolean }> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const definitions = tableDefinitionsFromTemplate(template);
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const definition of definitions.filter((d) => existing.has(tableName(d.role)))) {
      const { Table } = await client.send(
        new DescribeTableCommand({ TableName: tableName(definition.role) }),
      );
      const indexes = (list?: { IndexName?: string }[]) =>
        JSON.stringify((list ?? []).map((i) => i.IndexName).sort());
      const same =
        JSON.stringify(Table?.KeySchema) === JSON.stringify(definition.create.KeySchema) &&
        indexes(Table?.GlobalSecondaryIndexes) === indexes(definition.create.GlobalSecondaryIndexes);
      if (!same) {
        throw new Error(
          `the persisted table ${tableName(definition.role)} has other keys or indexes than the stack defines now: delete .local/dynamodb, or start without --persist`,
        );
      }
    }
    const missing = definitions.filter((definition) => !existing.has(tableName(definition.role)));
    await createTables(client, missing, tableName);
    return {
      names: { events: tableName("events"), state: tableName("state") },
      reused: missing.length < definitions.length,
    };
  } finally {
    client.destroy();
  }
}

async function loadOrCreateVerificationToken(file: string): Promise<string> {
  try {
    const saved = (await readFile(file, "utf8")).trim();
    if (saved !== "") return saved;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  // Letters, digits, '-' and '_': within Prelude's 100-character limit and safe in a URL.
  const token = randomBytes(24).toString("base64url");
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function assertNotRunning(root: string): Promise<void> {
  const state = await readPipelineState(root);
  if (state === undefined || state.pid === process.pid || !isProcessAlive(state.pid)) return;
  throw new AlreadyRunningError(
    `already running in this folder (pid ${state.pid}, ${state.webhookUrl}): use that one, or stop it with Ctrl-C in its terminal (or kill -INT ${state.pid})`,
  );
}

/** Fails at once on a taken port, before DynamoDB Local and the synthesis spend seconds. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => reject(explainListenError(error, port)));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolvePort()));
  });
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= action();
    return running;
  };
}
