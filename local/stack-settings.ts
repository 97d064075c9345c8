import type { CfnTemplate } from "./stack-template.js";
import { tableDefinitionsFromTemplate } from "./tables-from-template.js";

/** The synthesized stack does not have what the local pipeline needs to mirror it; says what is missing. */
export class StackSettingsError extends Error {
  override name = "StackSettingsError";
}

type Resource = CfnTemplate["Resources"][string];

/** A Lambda environment as the template writes it: strings, or references to other resources. */
export type TemplateEnvironment = Readonly<Record<string, unknown>>;

export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionPeriodSeconds?: number;
  /** Receives before the queue moves a message to its dead-letter queue. */
  readonly maxReceiveCount: number;
  /** The largest message (body plus attributes, in bytes) SendMessage accepts. */
  readonly maximumMessageSizeBytes: number;
}

export interface FunctionSettings {
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly environment: TemplateEnvironment;
}

/** One integration response of the POST method: which SQS status selects it, what API Gateway answers. */
export interface IntegrationResponse {
  /** Regular expression matched against the whole SQS HTTP status; absent for the default response. */
  readonly selectionPattern?: string;
  readonly statusCode: number;
  readonly responseTemplate?: string;
}

/** The POST method of the webhook resource, as API Gateway runs it. */
export interface WebhookPostSettings {
  /** The resource path of the method, e.g. `/webhook` (without the stage name). */
  readonly path: string;
  /** The Velocity request template per content type, mapping the request to SQS `SendMessage`. */
  readonly requestTemplates: Readonly<Record<string, string>>;
  /** Headers the method requires (validated when the validator checks parameters). */
  readonly requiredHeaders: readonly string[];
  /** Query string parameters the method requires. */
  readonly requiredQueryParameters: readonly string[];
  /** JSON schema of the body per content type (validated when the validator checks the body). */
  readonly bodyModels: Readonly<Record<string, JsonSchema>>;
  readonly validateBody: boolean;
  readonly validateParameters: boolean;
  readonly integrationResponses: readonly IntegrationResponse[];
}

/** The subset of JSON Schema (draft 4) that the local endpoint evaluates. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly required?: readonly string[];
}

/** Everything about the deployed pipeline that the local one mirrors, read from the synthesized template. */
export interface StackSettings {
  readonly queue: QueueSettings;
  readonly deadLetterQueue: { readonly messageRetentionPeriodSeconds?: number };
  readonly eventSource: {
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    /** Whether the handler's `batchItemFailures` are honoured (else any return value means success). */
    readonly reportBatchItemFailures: boolean;
    readonly maximumConcurrency?: number;
  };
  readonly processor: FunctionSettings;
  readonly recovery: FunctionSettings & { readonly scheduleExpression: string; readonly rateSeconds: number };
  readonly webhookPost: WebhookPostSettings;
  /** The app ids the activation challenge function answers for. */
  readonly challengeAppIds: readonly string[];
}

// SQS defaults when the template leaves a queue attribute out.
const SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
// The default of queues created before SQS raised its maximum to 1 MiB; the stricter reading.
const SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE_BYTES = 262_144;
// Lambda's defaults for an SQS event source mapping without these properties.
const DEFAULT_BATCH_SIZE = 10;

/** Reads the queue, event source, functions, schedule and webhook method from the synthesized stack. */
export function readStackSettings(template: CfnTemplate): StackSettings {
  const resources = template.Resources;
  const mapping = only(
    template,
    (resource) => isSqsMapping(template, resource) && !isDeliveryMapping(template, resource),
    "SQS event source mapping (the processor's trigger)",
  );
  const mappingProps = mapping.Properties ?? {};
  const queueId = referencedId(mappingProps.EventSourceArn);
  const queue = queueId === undefined ? undefined : resources[queueId];
  if (queue === undefined) throw new StackSettingsError("the event source mapping names no queue");
  const redrive = queue.Properties?.RedrivePolicy as
    | { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown }
    | undefined;
  const deadLetterQueue = referencedResource(template, redrive?.deadLetterTargetArn);
  if (redrive === undefined || deadLetterQueue?.Type !== "AWS::SQS::Queue") {
    throw new StackSettingsError("the processor's queue has no redrive policy to a dead-letter queue");
  }

  const processor = referencedResource(template, mappingProps.FunctionName);
  if (processor?.Type !== "AWS::Lambda::Function") {
    throw new StackSettingsError("the SQS event source mapping names no Lambda function");
  }
  const rule = only(
    template,
    (resource) =>
      resource.Type === "AWS::Events::Rule" &&
      typeof resource.Properties?.ScheduleExpression === "string" &&
      targetsOf(resource).some(
        (target) => referencedResource(template, target)?.Type === "AWS::Lambda::Function",
      ),
    "scheduled rule targeting a Lambda function (the recovery schedule)",
  );
  const recovery = targetsOf(rule)
    .map((target) => referencedResource(template, target))
    .find((resource) => resource?.Type === "AWS::Lambda::Function");
  if (recovery === undefined) throw new StackSettingsError("the schedule targets no Lambda function");
  const scheduleExpression = rule.Properties?.ScheduleExpression as string;

  const maxReceiveCount = numberOr(redrive.maxReceiveCount, Number.NaN);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
    throw new StackSettingsError("the processor queue's redrive policy has no maxReceiveCount");
  }
  const scaling = mappingProps.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  const batchingWindow = mappingProps.MaximumBatchingWindowInSeconds;
  return {
    queue: {
      visibilityTimeoutSeconds: numberOr(
        queue.Properties?.VisibilityTimeout,
        SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
      ),
      ...optionalNumber("messageRetentionPeriodSeconds", queue.Properties?.MessageRetentionPeriod),
      maxReceiveCount,
      maximumMessageSizeBytes: numberOr(
        queue.Properties?.MaximumMessageSize,
        SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE_BYTES,
      ),
    },
    deadLetterQueue: {
      ...optionalNumber("messageRetentionPeriodSeconds", deadLetterQueue.Properties?.MessageRetentionPeriod),
    },
    eventSource: {
      batchSize: numberOr(mappingProps.BatchSize, DEFAULT_BATCH_SIZE),
      maximumBatchingWindowSeconds: numberOr(batchingWindow, 0),
      reportBatchItemFailures:
        Array.isArray(mappingProps.FunctionResponseTypes) &&
        mappingProps.FunctionResponseTypes.includes("ReportBatchItemFailures"),
      ...(scaling?.MaximumConcurrency === undefined
        ? {}
        : { maximumConcurrency: scaling.MaximumConcurrency }),
    },
    processor: functionSettings(processor),
    recovery: {
      ...functionSettings(recovery),
      scheduleExpression,
      rateSeconds: parseRateExpression(scheduleExpression),
    },
    webhookPost: readWebhookPost(template, queueId as string),
    challengeAppIds: readChallengeAppIds(template),
  };
}

function isSqsMapping(template: CfnTemplate, resource: Resource): boolean {
  return (
    resource.Type === "AWS::Lambda::EventSourceMapping" &&
    referencedResource(template, resource.Properties?.EventSourceArn)?.Type === "AWS::SQS::Queue"
  );
}

/** A delivery function's trigger: its function's environment names a `DESTINATION`. */
function isDeliveryMapping(template: CfnTemplate, mapping: Resource): boolean {
  const fn = referencedResource(template, mapping.Properties?.FunctionName);
  return fn !== undefined && typeof functionSettings(fn).environment.DESTINATION === "string";
}

/** One destination's delivery as the stack deploys it: queue, dead-letter queue, trigger and function. */
export interface DeliverySettings {
  /** The queue's logical id (its subscription to the paging topic names it). */
  readonly queueId: string;
  readonly deadLetterQueueId: string;
  readonly queue: QueueSettings;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  /** Whether the queue's subscription to the paging topic delivers raw messages (no SNS envelope). */
  readonly rawMessageDelivery: boolean;
  readonly function: FunctionSettings;
}

/** Every delivery function of the stack (none when no destination is configured). */
export function readDeliverySettings(template: CfnTemplate): DeliverySettings[] {
  return Object.values(template.Resources)
    .filter((resource) => isSqsMapping(template, resource) && isDeliveryMapping(template, resource))
    .map((mapping) => {
      const props = mapping.Properties ?? {};
      const queueId = referencedId(props.EventSourceArn) as string;
      const queue = template.Resources[queueId] as Resource;
      const redrive = queue.Properties?.RedrivePolicy as {
        deadLetterTargetArn?: unknown;
        maxReceiveCount?: unknown;
      };
      const deadLetterQueueId = referencedId(redrive?.deadLetterTargetArn);
      if (deadLetterQueueId === undefined) {
        throw new StackSettingsError(
          `the delivery queue ${queueId} has no redrive policy to a dead-letter queue`,
        );
      }
      const subscription = Object.values(template.Resources).find(
        (resource) =>
          resource.Type === "AWS::SNS::Subscription" &&
          resource.Properties?.Protocol === "sqs" &&
          referencedId(resource.Properties?.Endpoint) === queueId,
      );
      if (subscription === undefined) {
        throw new StackSettingsError(`the delivery queue ${queueId} is not subscribed to the paging topic`);
      }
      return {
        queueId,
        deadLetterQueueId,
        queue: {
          visibilityTimeoutSeconds: numberOr(
            queue.Properties?.VisibilityTimeout,
            SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
          ),
          ...optionalNumber("messageRetentionPeriodSeconds", queue.Properties?.MessageRetentionPeriod),
          maxReceiveCount: numberOr(redrive.maxReceiveCount, 10),
          maximumMessageSizeBytes: numberOr(
            queue.Properties?.MaximumMessageSize,
            SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE_BYTES,
          ),
        },
        batchSize: numberOr(props.BatchSize, DEFAULT_BATCH_SIZE),
        reportBatchItemFailures:
          Array.isArray(props.FunctionResponseTypes) &&
          props.FunctionResponseTypes.includes("ReportBatchItemFailures"),
        rawMessageDelivery: subscription.Properties?.RawMessageDelivery === true,
        function: functionSettings(referencedResource(template, props.FunctionName) as Resource),
      };
    });
}

/** Seconds between runs of an EventBridge `rate(...)` expression; cron schedules are not run locally. */
export function parseRateExpression(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (match === null) {
    throw new StackSettingsError(
      `the local pipeline runs rate(...) schedules only, and the stack's schedule is "${expression}"`,
    );
  }
  const unit = match[2]?.replace(/s$/, "") as "minute" | "hour" | "day";
  const seconds = { minute: 60, hour: 3_600, day: 86_400 }[unit];
  return Number(match[1]) * seconds;
}

/**
 * The Lambda environment with every reference replaced by its local value: a table reference by the
 * local name of the table in that role, a topic reference by `topicArnFor(variable)`. Anything else
 * that is not a plain string cannot be mirrored and is an error naming the variable.
 */
export function resolveEnvironment(
  template: CfnTemplate,
  environment: TemplateEnvironment,
  local: {
    readonly tableName: (role: "events" | "state") => string;
    readonly topicArnFor: (variable: string) => string;
  },
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (typeof value === "string") {
      resolved[name] = value;
      continue;
    }
    const target = referencedResource(template, value);
    if (target?.Type === "AWS::DynamoDB::Table") {
      // The stack's own rule for which table is which, applied to this one table.
      const [definition] = tableDefinitionsFromTemplate({ Resources: { table: target } });
      if (definition === undefined)
        throw new StackSettingsError(`${name} names a table hookwatch cannot read`);
      resolved[name] = local.tableName(definition.role);
    } else if (target?.Type === "AWS::SNS::Topic") {
      resolved[name] = local.topicArnFor(name);
    } else {
      throw new StackSettingsError(
        `the Lambda environment variable ${name} is ${JSON.stringify(value)}, which the local pipeline cannot resolve`,
      );
    }
  }
  return resolved;
}

function readWebhookPost(template: CfnTemplate, queueId: string): WebhookPostSettings {
  const method = only(
    template,
    (resource) => {
      const integration = resource.Properties?.Integration as { Type?: string; Uri?: unknown } | undefined;
      return (
        resource.Type === "AWS::ApiGateway::Method" &&
        resource.Properties?.HttpMethod === "POST" &&
        integration?.Type === "AWS" &&
        JSON.stringify(integration.Uri ?? "").includes(":sqs:path/") &&
        findReferences(integration.Uri).includes(queueId)
      );
    },
    "POST method integrated with the processor's SQS queue (the webhook ingress)",
  );
  const props = method.Properties ?? {};
  const integration = props.Integration as {
    RequestTemplates?: Record<string, string>;
    IntegrationResponses?: {
      SelectionPattern?: string;
      StatusCode: string;
      ResponseTemplates?: Record<string, string>;
    }[];
  };
  const requestTemplates = integration.RequestTemplates ?? {};
  if (Object.keys(requestTemplates).length === 0) {
    throw new StackSettingsError("the webhook POST integration has no request template to evaluate");
  }

  const parameters = (props.RequestParameters ?? {}) as Record<string, boolean>;
  const required = (kind: string) =>
    Object.entries(parameters)
      .filter(([name, isRequired]) => isRequired && name.startsWith(`method.request.${kind}.`))
      .map(([name]) => name.slice(`method.request.${kind}.`.length));
  const validator = referencedResource(template, props.RequestValidatorId);
  const models: Record<string, JsonSchema> = {};
  for (const [contentType, reference] of Object.entries(
    (props.RequestModels ?? {}) as Record<string, unknown>,
  )) {
    const model = referencedResource(template, reference);
    if (model?.Type !== "AWS::ApiGateway::Model") {
      throw new StackSettingsError(`the webhook POST's ${contentType} model is not a model of the stack`);
    }
    models[contentType] = readJsonSchema(model.Properties?.Schema);
  }

  return {
    path: resourcePath(template, props.ResourceId),
    requestTemplates,
    requiredHeaders: required("header"),
    requiredQueryParameters: required("querystring"),
    bodyModels: models,
    validateBody: validator?.Properties?.ValidateRequestBody === true,
    validateParameters: validator?.Properties?.ValidateRequestParameters === true,
    integrationResponses: (integration.IntegrationResponses ?? []).map((response) => ({
      ...(response.SelectionPattern === undefined ? {} : { selectionPattern: response.SelectionPattern }),
      statusCode: Number(response.StatusCode),
      ...(response.ResponseTemplates?.["application/json"] === undefined
        ? {}
        : { responseTemplate: response.ResponseTemplates["application/json"] }),
    })),
  };
}

/** `/a/b` for a method on resource `b` under `a` under the API's root. */
function resourcePath(template: CfnTemplate, reference: unknown): string {
  const parts: string[] = [];
  let resource = referencedResource(template, reference);
  while (resource?.Type === "AWS::ApiGateway::Resource") {
    parts.unshift(String(resource.Properties?.PathPart));
    resource = referencedResource(template, resource.Properties?.ParentId);
  }
  return `/${parts.join("/")}`;
}

const SUPPORTED_SCHEMA_KEYWORDS = new Set([
  "$schema",
  "title",
  "description",
  "type",
  "minProperties",
  "maxProperties",
  "required",
]);

/** The model's schema, refused when it uses a keyword the local endpoint would silently skip. */
function readJsonSchema(schema: unknown): JsonSchema {
  if (schema === null || typeof schema !== "object") {
    throw new StackSettingsError("the webhook POST's body model has no JSON schema");
  }
  const unsupported = Object.keys(schema).filter((keyword) => !SUPPORTED_SCHEMA_KEYWORDS.has(keyword));
  if (unsupported.length > 0) {
    throw new StackSettingsError(
      `the webhook body model uses JSON Schema ${unsupported.join(", ")}, which the local endpoint does not evaluate yet (local/webhook-endpoint.ts)`,
    );
  }
  return schema as JsonSchema;
}

function readChallengeAppIds(template: CfnTemplate): string[] {
  const method = only(
    template,
    (resource) =>
      resource.Type === "AWS::ApiGateway::Method" &&
      resource.Properties?.HttpMethod === "GET" &&
      (resource.Properties.Integration as { Type?: string } | undefined)?.Type === "AWS_PROXY",
    "GET method with a Lambda proxy integration (the activation challenge)",
  );
  const uri = (method.Properties?.Integration as { Uri?: unknown } | undefined)?.Uri;
  const functionId = findReferences(uri).find(
    (id) => template.Resources[id]?.Type === "AWS::Lambda::Function",
  );
  const challenge = functionId === undefined ? undefined : template.Resources[functionId];
  const appIds = functionSettings(challenge as Resource).environment.PRELUDE_APP_IDS;
  if (typeof appIds !== "string") {
    throw new StackSettingsError("the challenge function has no PRELUDE_APP_IDS in its environment");
  }
  return appIds.split(",").map((id) => id.trim());
}

function functionSettings(resource: Resource): FunctionSettings {
  const props = resource.Properties ?? {};
  const environment = (props.Environment as { Variables?: TemplateEnvironment } | undefined)?.Variables;
  return {
    // Lambda's defaults when a function leaves these out: 3 s, 128 MB.
    timeoutSeconds: numberOr(props.Timeout, 3),
    memorySize: numberOr(props.MemorySize, 128),
    environment: environment ?? {},
  };
}

function only(template: CfnTemplate, matches: (resource: Resource) => boolean, what: string): Resource {
  const found = Object.values(template.Resources).filter(matches);
  if (found.length !== 1) {
    throw new StackSettingsError(`expected one ${what} in the stack, found ${found.length}`);
  }
  return found[0] as Resource;
}

function targetsOf(rule: Resource): unknown[] {
  const targets = rule.Properties?.Targets;
  return Array.isArray(targets) ? targets.map((target: { Arn?: unknown }) => target.Arn) : [];
}

/** The logical id a `Ref` or `Fn::GetAtt` points at (following the reference, not guessing the id). */
function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === "string") return ref;
  const getAtt = (value as { "Fn::GetAtt"?: unknown })["Fn::GetAtt"];
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  return undefined;
}

function referencedResource(template: CfnTemplate, value: unknown): Resource | undefined {
  const id = referencedId(value);
  return id === undefined ? undefined : template.Resources[id];
}

/** Every logical id referenced anywhere inside an intrinsic (for instance inside an `Fn::Join`). */
function findReferences(value: unknown): string[] {
  if (value === null || typeof value !== "object") return [];
  const direct = referencedId(value);
  const nested = Object.values(value).flatMap(findReferences);
  return direct === undefined ? nested : [direct, ...nested];
}

function numberOr(value: unknown, fallback: number): number {
  const number = typeof value === "string" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) ? number : fallback;
}

function optionalNumber<K extends string>(key: K, value: unknown): Partial<Record<K, number>> {
  const number = numberOr(value, Number.NaN);
  return Number.isNaN(number) ? {} : ({ [key]: number } as Record<K, number>);
}
