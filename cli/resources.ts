import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CloudFormationClient, DescribeStacksCommand, type Output } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ListDeadLetterSourceQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { z } from "zod";
import { LOCAL_CREDENTIALS } from "../local/local-aws.js";
import { isProcessAlive, PIPELINE_STATE_FILE, readPipelineState } from "../local/pipeline-state.js";
import { OperatorError } from "./errors.js";

/** The stack name `infra/app.ts` deploys. */
export const DEFAULT_STACK_NAME = "Hookwatch";

/** The stack outputs the CLI reads (`infra/hookwatch-stack.ts` declares them). */
export const STACK_OUTPUT = {
  eventsTableName: "EventsTableName",
  stateTableName: "StateTableName",
  deadLetterQueueUrl: "DeadLetterQueueUrl",
  /** Optional: without it the queue is found as the dead-letter queue's redrive source. */
  queueUrl: "QueueUrl",
  /** Optional: comma-separated Prelude app ids; without it `--app` or HOOKWATCH_APP_IDS name them. */
  appIds: "AppIds",
  /** Present when destinations are configured: `name=<dead-letter queue URL>`, comma-separated. */
  deliveryDeadLetterQueues: "DeliveryDeadLetterQueues",
} as const;

/** One delivery destination's queue and dead-letter queue. */
export interface DeliveryQueues {
  readonly name: string;
  readonly deadLetterQueueUrl: string;
  queueUrl(): Promise<string>;
}

/** Lets a shell name the apps once instead of passing `--app` to every command. */
export const APP_IDS_VARIABLE = "HOOKWATCH_APP_IDS";

/** Everything a command reads from, found once per run. */
export interface Resources {
  /** What was found, for headers and messages: "local pipeline (pid 123)" or "stack Hookwatch (eu-west-1)". */
  readonly origin: string;
  readonly local: boolean;
  /** The flags that select this target again, for commands suggested in output: `--local`, `--stack X` or none. */
  readonly selector: string;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly deadLetterQueueUrl: string;
  /** The webhook queue; looked up only by the commands that need it. */
  queueUrl(): Promise<string>;
  /** The configured Prelude apps, when the target says which they are. */
  readonly appIds?: readonly string[];
  /** The delivery destinations' queues (none when no destination is configured). */
  readonly deliveries: readonly DeliveryQueues[];
  /** Who is calling, as AWS knows them (the caller's ARN); absent for the local pipeline's dummy key. */
  readonly callerIdentity?: () => Promise<string | undefined>;
}

export interface DiscoveryOptions {
  readonly local: boolean;
  readonly stack: string;
  /** Where to look for `.local/pipeline.json` (and its parent directories). */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export async function discoverResources(options: DiscoveryOptions): Promise<Resources> {
  return options.local ? discoverLocalPipeline(options) : discoverStack(options);
}

const pipelineStateSchema = z.object({
  pid: z.number().int(),
  region: z.string().min(1),
  dynamodbEndpoint: z.url(),
  sqsEndpoint: z.url(),
  eventsTableName: z.string().min(1),
  stateTableName: z.string().min(1),
  queueUrl: z.string().min(1),
  deadLetterQueueUrl: z.string().min(1),
  appIds: z.array(z.string()),
  deliveries: z
    .array(z.object({ name: z.string(), queueUrl: z.string(), deadLetterQueueUrl: z.string() }))
    .default([]),
});

/** The nearest directory from `cwd` up that holds the local pipeline's state file. */
export function findPipelineDirectory(cwd: string): string | undefined {
  for (let directory = resolve(cwd); ; directory = dirname(directory)) {
    if (existsSync(join(directory, PIPELINE_STATE_FILE))) return directory;
    if (dirname(directory) === directory) return undefined;
  }
}

async function discoverLocalPipeline(options: DiscoveryOptions): Promise<Resources> {
  const directory = findPipelineDirectory(options.cwd);
  const raw = directory === undefined ? undefined : await readPipelineState(directory);
  if (directory === undefined || raw === undefined) {
    throw new OperatorError(
      `the local pipeline is not running (no ${PIPELINE_STATE_FILE} in ${options.cwd} or above): run npm start first`,
    );
  }
  const parsed = pipelineStateSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new OperatorError(
      `${join(directory, PIPELINE_STATE_FILE)} is not a state file this CLI understands (${fields}): restart npm start`,
    );
  }
  const state = parsed.data;
  if (!isProcessAlive(state.pid)) {
    throw new OperatorError(
      `the local pipeline is not running (pid ${state.pid} in ${PIPELINE_STATE_FILE} has exited): run npm start first`,
    );
  }
  // The stand-ins' dummy credentials, as `npm start` gives the handlers: an operator's real ones never leave.
  const credentials = LOCAL_CREDENTIALS;
  // The one place with explicit endpoints: they come from the running pipeline's state file.
  const dynamodb = new DynamoDBClient({
    endpoint: state.dynamodbEndpoint,
    region: state.region,
    credentials,
  });
  const sqs = new SQSClient({ endpoint: state.sqsEndpoint, region: state.region, credentials });
  return {
    origin: `local pipeline (pid ${state.pid})`,
    local: true,
    selector: "--local",
    dynamodb,
    sqs,
    eventsTableName: state.eventsTableName,
    stateTableName: state.stateTableName,
    deadLetterQueueUrl: state.deadLetterQueueUrl,
    queueUrl: async () => state.queueUrl,
    appIds: state.appIds,
    deliveries: state.deliveries.map((delivery) => ({
      name: delivery.name,
      deadLetterQueueUrl: delivery.deadLetterQueueUrl,
      queueUrl: async () => delivery.queueUrl,
    })),
  };
}

/** The names a stack's outputs give, or an error naming the output that is missing. */
export function readStackOutputs(
  stack: string,
  outputs: readonly Output[],
): {
  eventsTableName: string;
  stateTableName: string;
  deadLetterQueueUrl: string;
  queueUrl?: string;
  appIds?: string[];
  deliveryDeadLetterQueues?: { name: string; url: string }[];
} {
  const values = new Map(outputs.map((output) => [output.OutputKey, output.OutputValue]));
  const required = (key: string) => {
    const value = values.get(key);
    if (!value) {
      throw new OperatorError(
        `stack ${stack} has no output ${key}: it is not a hookwatch stack, or an older one; deploy the current version (npx cdk deploy) or pass --stack NAME`,
      );
    }
    return value;
  };
  const queueUrl = values.get(STACK_OUTPUT.queueUrl);
  const appIds = splitAppIds(values.get(STACK_OUTPUT.appIds));
  const deliveries = values
    .get(STACK_OUTPUT.deliveryDeadLetterQueues)
    ?.split(",")
    .filter((pair) => pair.includes("="))
    .map((pair) => ({ name: pair.slice(0, pair.indexOf("=")), url: pair.slice(pair.indexOf("=") + 1) }));
  return {
    eventsTableName: required(STACK_OUTPUT.eventsTableName),
    stateTableName: required(STACK_OUTPUT.stateTableName),
    deadLetterQueueUrl: required(STACK_OUTPUT.deadLetterQueueUrl),
    ...(queueUrl ? { queueUrl } : {}),
    ...(appIds ? { appIds } : {}),
    ...(deliveries === undefined ? {} : { deliveryDeadLetterQueues: deliveries }),
  };
}

export function splitAppIds(text: string | undefined): string[] | undefined {
  const ids = (text ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  return ids.length === 0 ? undefined : ids;
}

async function discoverStack(options: DiscoveryOptions): Promise<Resources> {
  // Standard SDK configuration throughout: region, credentials and endpoints from the environment or profile.
  const cloudFormation = new CloudFormationClient({});
  let outputs: Output[];
  try {
    const { Stacks = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: options.stack }),
    );
    outputs = Stacks[0]?.Outputs ?? [];
  } catch (error) {
    if (error instanceof Error && error.name === "ValidationError" && /does not exist/.test(error.message)) {
      const region = await cloudFormation.config.region().catch(() => "the configured region");
      throw new OperatorError(
        `stack ${options.stack} not found in ${region}: pass --stack NAME (and AWS_REGION), or --local for the local pipeline`,
      );
    }
    throw error;
  }
  const found = readStackOutputs(options.stack, outputs);
  const region = await cloudFormation.config.region();
  const sqs = new SQSClient({});
  let queueUrl: Promise<string> | undefined;
  const appIds = found.appIds ?? splitAppIds(options.env[APP_IDS_VARIABLE]);
  return {
    origin: `stack ${options.stack} (${region})`,
    local: false,
    selector: options.stack === DEFAULT_STACK_NAME ? "" : `--stack ${options.stack}`,
    dynamodb: new DynamoDBClient({}),
    sqs,
    eventsTableName: found.eventsTableName,
    stateTableName: found.stateTableName,
    deadLetterQueueUrl: found.deadLetterQueueUrl,
    queueUrl() {
      queueUrl ??= found.queueUrl
        ? Promise.resolve(found.queueUrl)
        : findRedriveSource(sqs, found.deadLetterQueueUrl, options.stack);
      return queueUrl;
    },
    ...(appIds ? { appIds } : {}),
    deliveries: (found.deliveryDeadLetterQueues ?? []).map(({ name, url }) => {
      let source: Promise<string> | undefined;
      return {
        name,
        deadLetterQueueUrl: url,
        queueUrl() {
          source ??= findRedriveSource(sqs, url, options.stack);
          return source;
        },
      };
    }),
    callerIdentity: () => readCallerArn(),
  };
}

/** The caller's ARN from STS, for who created or ended a silence; STS needs no permission for it. */
async function readCallerArn(): Promise<string | undefined> {
  const sts = new STSClient({});
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

/** Without a QueueUrl output, the webhook queue is the one that names the dead-letter queue in its redrive policy. */
async function findRedriveSource(sqs: SQSClient, deadLetterQueueUrl: string, stack: string): Promise<string> {
  const { queueUrls = [] } = await sqs.send(
    new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterQueueUrl }),
  );
  const [only, ...others] = queueUrls;
  if (only === undefined || others.length > 0) {
    throw new OperatorError(
      `cannot tell stack ${stack}'s webhook queue: ${queueUrls.length} queues use its dead-letter queue (${deadLetterQueueUrl}); add a QueueUrl output to the stack`,
    );
  }
  return only;
}
