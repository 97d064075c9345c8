import { relative } from "node:path";
import { parseArgs } from "node:util";
import { HookwatchConfigError } from "../infra/config.js";
import { JavaMissingError } from "./dynamodb-local.js";
import { AlreadyRunningError, type LocalPipeline, startLocalPipeline } from "./local-pipeline.js";
import { StackSettingsError } from "./stack-settings.js";
import { PortInUseError } from "./webhook-endpoint.js";

const USAGE = `Usage: npm start -- [options]

Runs hookwatch on this machine: DynamoDB Local, an SQS stand-in, the webhook endpoint, the processor
and recovery handlers, and a local pager, all derived from the CDK stack.

Options:
  --port <n>                 webhook endpoint port on 127.0.0.1 (default 3000)
  --app <id>                 Prelude app id to accept; repeat or comma-separate (default app_local)
  --persist                  keep DynamoDB data under .local/dynamodb (default: in memory)
  -c, --context <key=value>  CDK context, as for cdk synth (e.g. -c migrationBurstThreshold=3)
  --visibility-timeout <s>   shorter queue visibility timeout than the stack's, for quick retries
  --recovery-interval <s>    run the recovery handler more often than the stack's schedule
  --log-level <level>        the handlers' log level: DEBUG, INFO, WARN (default), ERROR, SILENT
  -h, --help                 this help`;

/** What the user asked for that we cannot do; printed as one line, no stack trace. */
class UsageError extends Error {
  override name = "UsageError";
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      app: { type: "string", multiple: true },
      persist: { type: "boolean" },
      context: { type: "string", short: "c", multiple: true },
      "visibility-timeout": { type: "string" },
      "recovery-interval": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  const whole = (name: string, value: string | undefined, min: number, max: number) => {
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return number;
  };
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const separator = pair.indexOf("=");
    if (separator < 1) throw new UsageError(`--context takes key=value, got "${pair}"`);
    context[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  const appIds = (values.app ?? [])
    .flatMap((value) => value.split(","))
    .map((id) => id.trim())
    .filter(Boolean);
  return {
    help: values.help === true,
    port: whole("port", values.port, 1, 65_535),
    ...(appIds.length === 0 ? {} : { appIds }),
    persist: values.persist === true,
    context,
    visibilityTimeoutSeconds: whole("visibility-timeout", values["visibility-timeout"], 0, 43_200),
    recoveryIntervalSeconds: whole("recovery-interval", values["recovery-interval"], 1, 86_400),
    logLevel: values["log-level"]?.toUpperCase(),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function timestamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

function printBanner(pipeline: LocalPipeline, startedInMs: number): void {
  const { state, settings } = pipeline;
  const shown = (path: string) => relative(process.cwd(), path) || path;
  const queue = settings.queue;
  const source = settings.eventSource;
  const challenge = new URL(state.webhookUrl);
  challenge.search = new URLSearchParams({
    event: "activate",
    verification_token: pipeline.verificationToken,
    challenge: "42",
    app_id: state.appIds[0] ?? "",
  }).toString();
  const lines = [
    "",
    `hookwatch is running locally (started in ${seconds(startedInMs)}, of which ${seconds(pipeline.synthesisMs)} synthesizing the CDK stack it mirrors)`,
    "",
    `  Webhook     POST ${state.webhookUrl}`,
    "              the stack's API Gateway validation and request template, then SendMessage to SQS",
    `  Activation  GET  ${state.webhookUrl}?event=activate&verification_token=…&challenge=<n>&app_id=…`,
    `              verification token in ${shown(pipeline.verificationTokenFile)}`,
    `  Apps        ${state.appIds.join(", ")}  (signature verification on, dev key ${pipeline.signingKeyId.slice(0, 12)}…)`,
    `  JWKS        ${pipeline.jwksUrl}`,
    `  DynamoDB    ${state.dynamodbEndpoint}  DynamoDB Local, tables ${state.eventsTableName}, ${state.stateTableName}`,
    `  SQS         ${state.sqsEndpoint}  local-aws-sqs, ${state.queueUrl.split("/").pop()}: visibility ${queue.visibilityTimeoutSeconds} s,`,
    `              dead-letter queue after ${queue.maxReceiveCount} receives`,
    `  Processor   in this process: up to ${source.maximumConcurrency ?? 1} invocations at once, batches of up to ${source.batchSize}, batching window ${source.maximumBatchingWindowSeconds} s`,
    `  Recovery    in this process: ${settings.recovery.scheduleExpression}`,
    `  SNS         ${state.snsEndpoint}  pages printed here and appended to ${shown(state.pagerFile)}`,
    ...destinationLines(pipeline),
    ...(pipeline.deviations.length === 0
      ? []
      : ["", "  Differs from the stack:", ...pipeline.deviations.map((d) => `    - ${d}`)]),
    "",
    "Send a sample from another terminal:",
    "  npm run send -- burst      (also: migration, step-up, bad-responses, duplicates, invalid, forged, activate)",
    `Answer an activation challenge:  curl '${challenge.toString()}'`,
    "Ctrl-C stops everything.",
    "",
  ];
  console.log(lines.join("\n"));
}

/** Where pages are delivered, and how to make a stand-in answer 429, 500 or 400 on demand. */
function destinationLines(pipeline: LocalPipeline): string[] {
  const { deliveries, pagerDuty, webhookReceiver } = pipeline.destinations;
  if (deliveries.length === 0) return [];
  const names = deliveries.map((d) => `${d.destination.name} (${d.destination.type})`).join(", ");
  return [
    `  Delivery    in this process, one queue and function per destination: ${names}`,
    ...(pagerDuty === undefined
      ? []
      : [`  PagerDuty   ${pagerDuty.eventsUrl}  Events API v2 stand-in: incidents printed here`]),
    ...(webhookReceiver === undefined
      ? []
      : [`  Webhook rx  ${webhookReceiver.url}  verifies the Standard Webhooks signature`]),
    `              on demand: curl -X POST <stand-in>/stand-in/misbehave -d '{"status":429,"times":2,"retryAfterSeconds":1}'`,
  ];
}

async function main(): Promise<void> {
  const began = Date.now();
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }

  // Installed before anything starts, so no signal or crash can leave DynamoDB Local's java behind.
  const starting = new AbortController();
  let pipeline: LocalPipeline | undefined;
  let stopping = false;
  const shutdown = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (pipeline === undefined) {
      console.log(`\n${reason}: stopping what has started…`);
      starting.abort();
      return;
    }
    console.log(`\n${reason}: stopping hookwatch…`);
    pipeline.stop().then(
      () => {
        console.log(
          "stopped: DynamoDB Local, the stand-ins and the handlers are down; .local/pipeline.json removed",
        );
        process.exit(code);
      },
      (error: unknown) => {
        console.error(`hookwatch: stopping failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(signal, () => shutdown(signal, 0));
  const crash = (error: unknown) => {
    console.error("hookwatch: unexpected error:", error);
    shutdown("crash", 1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);

  try {
    pipeline = await startLocalPipeline({
      ...options,
      // As many invocations at once as the stack's event source allows, in this one process.
      processorConcurrency: "stack",
      log: (line) => console.log(`${timestamp()} ${line}`),
      printPage: (text) => console.log(text),
      color: process.stdout.isTTY === true,
      signal: starting.signal,
    });
  } catch (error) {
    if (starting.signal.aborted) {
      console.log("stopped before hookwatch finished starting");
      process.exit(130);
    }
    throw error;
  }
  printBanner(pipeline, Date.now() - began);
}

const EXPECTED = [
  JavaMissingError,
  PortInUseError,
  AlreadyRunningError,
  HookwatchConfigError,
  StackSettingsError,
];

main().catch((error: unknown) => {
  const message = (error as Error).message;
  if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") || error instanceof UsageError) {
    console.error(`hookwatch: ${message} (npm start -- --help lists the options)`);
  } else if (EXPECTED.some((type) => error instanceof type)) {
    console.error(`hookwatch: ${message}`);
  } else {
    console.error("hookwatch: could not start:", error);
  }
  process.exit(1);
});
