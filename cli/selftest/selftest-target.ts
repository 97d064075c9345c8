import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { IAMClient } from "@aws-sdk/client-iam";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { LOCAL_CREDENTIALS } from "../../local/local-aws.js";
import { VERIFICATION_TOKEN_FILE } from "../../local/local-files.js";
import { LOCAL_DIRECTORY, PIPELINE_STATE_FILE, readPipelineState } from "../../local/pipeline-state.js";
import { OperatorError } from "../errors.js";
import { findPipelineDirectory, type Resources } from "../resources.js";

/** The stack outputs the self-test reads on top of those every command reads (`infra/hookwatch-stack.ts`). */
export const SELFTEST_OUTPUT = {
  webhookUrl: "WebhookUrl",
  pagingTopicArn: "PagingTopicArn",
  verificationTokenCommand: "VerificationTokenCommand",
} as const;

/** What only a deployed stack offers: its resources, and the IAM and CloudWatch APIs. */
export interface StackAccess {
  readonly stackName: string;
  readonly iam: IAMClient;
  readonly cloudWatch: CloudWatchClient;
  /** Every resource of the stack (ListStackResources, read once). */
  listResources(): Promise<readonly StackResourceSummary[]>;
}

/** Everything the self-test talks to, on top of the resources every command uses. */
export interface SelftestTarget {
  readonly resources: Resources;
  /** The URL Prelude posts to and sends the activation GET to. */
  readonly webhookUrl: string;
  /** The Prelude app the activation GET and the probes name. */
  readonly appId: string;
  /** Where the verification token is read from, for messages: never the token itself. */
  readonly tokenSource: string;
  readVerificationToken(): Promise<string>;
  readonly sns: SNSClient;
  readonly pagingTopicArn?: string;
  /** Absent for the local pipeline, which has no IAM and no CloudWatch. */
  readonly stack?: StackAccess;
  close(): void;
}

export interface TargetOptions {
  readonly resources: Resources;
  readonly appId: string;
  readonly stackName: string;
  readonly cwd: string;
}

export function discoverSelftestTarget(options: TargetOptions): Promise<SelftestTarget> {
  return options.resources.local ? localTarget(options) : stackTarget(options);
}

async function localTarget(options: TargetOptions): Promise<SelftestTarget> {
  const directory = findPipelineDirectory(options.cwd);
  const state = directory === undefined ? undefined : await readPipelineState(directory);
  if (directory === undefined || state === undefined) {
    throw new OperatorError(
      `the local pipeline is not running (no ${PIPELINE_STATE_FILE}): run npm start first`,
    );
  }
  const tokenFile = join(directory, LOCAL_DIRECTORY, VERIFICATION_TOKEN_FILE);
  const sns = new SNSClient({
    endpoint: state.snsEndpoint,
    region: state.region,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    resources: options.resources,
    webhookUrl: state.webhookUrl,
    appId: options.appId,
    tokenSource: join(LOCAL_DIRECTORY, VERIFICATION_TOKEN_FILE),
    readVerificationToken: async () => (await readFile(tokenFile, "utf8")).trim(),
    sns,
    ...(state.pagingTopicArn === undefined ? {} : { pagingTopicArn: state.pagingTopicArn }),
    close: () => sns.destroy(),
  };
}

/** The secret ARN inside the VerificationTokenCommand output (`aws secretsmanager get-secret-value … --secret-id ARN …`). */
export function secretArnOf(command: string | undefined): string | undefined {
  return /--secret-id\s+(\S+)/.exec(command ?? "")?.[1];
}

async function stackTarget(options: TargetOptions): Promise<SelftestTarget> {
  // Standard SDK configuration, as every other command: region, credentials and endpoints from the environment.
  const cloudFormation = new CloudFormationClient({});
  const secrets = new SecretsManagerClient({});
  const sns = new SNSClient({});
  const iam = new IAMClient({});
  const cloudWatch = new CloudWatchClient({});
  const close = () => {
    for (const client of [cloudFormation, secrets, sns, iam, cloudWatch]) client.destroy();
  };
  try {
    const { Stacks = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: options.stackName }),
    );
    const outputs = new Map(
      (Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );
    const webhookUrl = outputs.get(SELFTEST_OUTPUT.webhookUrl);
    if (!webhookUrl) {
      throw new OperatorError(
        `stack ${options.stackName} has no output ${SELFTEST_OUTPUT.webhookUrl}: it is not a hookwatch stack, or an older one; deploy the current version`,
      );
    }
    const secretArn = secretArnOf(outputs.get(SELFTEST_OUTPUT.verificationTokenCommand));
    const pagingTopicArn = outputs.get(SELFTEST_OUTPUT.pagingTopicArn);
    let resources: Promise<StackResourceSummary[]> | undefined;
    return {
      resources: options.resources,
      webhookUrl,
      appId: options.appId,
      tokenSource:
        secretArn === undefined
          ? "Secrets Manager (no secret ARN in the stack's outputs)"
          : `secret ${secretArn}`,
      async readVerificationToken() {
        if (secretArn === undefined) {
          throw new OperatorError(
            `stack ${options.stackName}'s ${SELFTEST_OUTPUT.verificationTokenCommand} output names no secret`,
          );
        }
        const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
        return SecretString ?? "";
      },
      sns,
      ...(pagingTopicArn ? { pagingTopicArn } : {}),
      stack: {
        stackName: options.stackName,
        iam,
        cloudWatch,
        listResources() {
          resources ??= listStackResources(cloudFormation, options.stackName);
          return resources;
        },
      },
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

async function listStackResources(
  client: CloudFormationClient,
  stackName: string,
): Promise<StackResourceSummary[]> {
  const summaries: StackResourceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListStackResourcesCommand({ StackName: stackName, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    summaries.push(...(page.StackResourceSummaries ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return summaries;
}

/**
 * The physical id of the stack resource of `type` whose logical id is the construct path `path` plus
 * CDK's 8-character hash (construct ids are part of the stack's contract, so the path is stable).
 */
export function findStackResource(
  resources: readonly StackResourceSummary[],
  type: string,
  path: string,
): string | undefined {
  const pattern = new RegExp(`^${path}[0-9A-F]{8}$`);
  return resources.find(
    (resource) => resource.ResourceType === type && pattern.test(resource.LogicalResourceId ?? ""),
  )?.PhysicalResourceId;
}
