import { fileURLToPath } from "node:url";
import { type Duration, Validations } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** The Lambda runtime of every hookwatch function (the newest Node.js that Lambda runs). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

const REPOSITORY_ROOT = fileURLToPath(new URL("..", import.meta.url));

// ESM output: bundled CommonJS dependencies still call `require` for Node built-ins.
const ESM_REQUIRE_BANNER =
  "import { createRequire as __hookwatchCreateRequire } from 'node:module'; const require = __hookwatchCreateRequire(import.meta.url);";

export interface HookwatchFunctionProps {
  /** Path of the handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
  /**
   * Retries of an asynchronous invocation (EventBridge, not SQS or API Gateway).
   * @default 2 (Lambda's default)
   */
  readonly retryAttempts?: number;
}

/**
 * A hookwatch Lambda function: Node.js on arm64, bundled by the local esbuild (no Docker) as
 * minified ESM with source maps, X-Ray tracing, its own log group with a retention, and a role
 * that may write only to that log group (no AWS managed policy).
 */
export class HookwatchFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HookwatchFunctionProps) {
    super(scope, id);
    if (!props.entry.endsWith(".ts")) {
      throw new Error(`HookwatchFunction ${id}: entry must be a TypeScript module, got "${props.entry}"`);
    }
    this.logGroup = new LogGroup(this, "Logs", { retention: props.logRetention });
    const role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Runs the hookwatch ${id} function`,
    });
    this.logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, "Function", {
      entry: fileURLToPath(new URL(`../${props.entry}`, import.meta.url)),
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: fileURLToPath(new URL("../package-lock.json", import.meta.url)),
      handler: "handler",
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      ...(props.retryAttempts === undefined ? {} : { retryAttempts: props.retryAttempts }),
      environment: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" },
      bundling: {
        format: OutputFormat.ESM,
        target: "node24",
        mainFields: ["module", "main"],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK version the tests ran against is the one deployed, not the runtime's.
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Written by active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.",
    });
  }
}
