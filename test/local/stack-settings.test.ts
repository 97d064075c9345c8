import { beforeAll, describe, expect, it } from "vitest";
import {
  PROCESSOR_BATCH_SIZE,
  PROCESSOR_BATCHING_WINDOW,
  PROCESSOR_TIMEOUT,
} from "../../infra/processor-functions.js";
import { WEBHOOK_PATH } from "../../infra/webhook-ingress.js";
import {
  MAX_MESSAGE_SIZE_BYTES,
  MIN_MAX_RECEIVE_COUNT,
  VISIBILITY_TIMEOUT_FACTOR,
} from "../../infra/webhook-queue.js";
import { buildWebhookRequestTemplate } from "../../infra/webhook-request-template.js";
import { WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import {
  parseRateExpression,
  readStackSettings,
  resolveEnvironment,
  StackSettingsError,
} from "../../local/stack-settings.js";
import { type CfnTemplate, synthesizeStackTemplate } from "../../local/stack-template.js";

let template: CfnTemplate;

beforeAll(() => {
  // These tests read the template; CDK's schema validation is the infra tests' job and doubles the time.
  process.env.CDK_VALIDATION = "false";
  template = synthesizeStackTemplate({ appIds: "app_one,app_two" });
});

/** A copy of the template with the first resource of `type` changed by `change`. */
function withResource(type: string, change: (properties: Record<string, unknown>) => void): CfnTemplate {
  const copy = structuredClone(template);
  const resource = Object.values(copy.Resources).find((candidate) => candidate.Type === type);
  if (resource?.Properties === undefined) throw new Error(`no ${type} in the template`);
  change(resource.Properties);
  return copy;
}

describe("stack settings read from the synthesized template", () => {
  it("finds the queue, dead-letter queue, event source, schedule and webhook method the stack deploys", () => {
    const settings = readStackSettings(template);

    expect(settings.queue).toEqual({
      visibilityTimeoutSeconds:
        PROCESSOR_TIMEOUT.toSeconds() * VISIBILITY_TIMEOUT_FACTOR + PROCESSOR_BATCHING_WINDOW.toSeconds(),
      messageRetentionPeriodSeconds: 14 * 86_400,
      maxReceiveCount: MIN_MAX_RECEIVE_COUNT,
      maximumMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    });
    expect(settings.eventSource).toMatchObject({
      batchSize: PROCESSOR_BATCH_SIZE,
      maximumBatchingWindowSeconds: PROCESSOR_BATCHING_WINDOW.toSeconds(),
      reportBatchItemFailures: true,
    });
    expect(settings.processor.timeoutSeconds).toBe(PROCESSOR_TIMEOUT.toSeconds());
    expect(settings.recovery).toMatchObject({ scheduleExpression: "rate(1 minute)", rateSeconds: 60 });
    expect(settings.webhookPost).toMatchObject({
      path: `/${WEBHOOK_PATH}`,
      requestTemplates: { "application/json": buildWebhookRequestTemplate() },
      requiredHeaders: [WEBHOOK_HEADERS.signature],
      validateBody: true,
      validateParameters: true,
    });
    expect(settings.challengeAppIds).toEqual(["app_one", "app_two"]);
    expect(settings.processor.environment).toMatchObject({ PRELUDE_APP_IDS: "app_one,app_two" });
  });

  it("reads what the template says, not the infra constants: a changed batch size and timeout show", () => {
    const changed = withResource("AWS::Lambda::EventSourceMapping", (properties) => {
      properties.BatchSize = 3;
      properties.MaximumBatchingWindowInSeconds = 7;
    });

    const settings = readStackSettings(changed);

    expect(settings.eventSource).toMatchObject({ batchSize: 3, maximumBatchingWindowSeconds: 7 });
  });

  it("takes SQS's default maximum message size (256 KiB) for a queue that sets none", () => {
    const withoutMaximum = structuredClone(template);
    for (const resource of Object.values(withoutMaximum.Resources)) {
      if (resource.Type === "AWS::SQS::Queue") delete resource.Properties?.MaximumMessageSize;
    }

    expect(readStackSettings(withoutMaximum).queue.maximumMessageSizeBytes).toBe(262_144);
  });

  it("refuses a stack whose queue has no dead-letter queue", () => {
    const changed = structuredClone(template);
    for (const resource of Object.values(changed.Resources)) {
      if (resource.Type === "AWS::SQS::Queue") delete resource.Properties?.RedrivePolicy;
    }

    expect(() => readStackSettings(changed)).toThrow(StackSettingsError);
  });

  it("refuses a body model with a JSON Schema keyword the local endpoint would silently skip", () => {
    const changed = withResource("AWS::ApiGateway::Model", (properties) => {
      properties.Schema = { type: "object", properties: { app_id: { type: "string" } } };
    });

    expect(() => readStackSettings(changed)).toThrow(/properties/);
  });

  it("resolves table and topic references of the Lambda environment to the local names", () => {
    const settings = readStackSettings(template);

    const environment = resolveEnvironment(template, settings.processor.environment, {
      tableName: (role) => `local-${role}`,
      topicArnFor: (variable) => `arn:local:${variable}`,
    });

    expect(environment).toMatchObject({
      EVENTS_TABLE_NAME: "local-events",
      STATE_TABLE_NAME: "local-state",
      PAGING_TOPIC_ARN: "arn:local:PAGING_TOPIC_ARN",
      MIGRATION_BURST_THRESHOLD: "5",
    });
  });

  it("refuses an environment value it cannot resolve locally, naming the variable", () => {
    const local = { tableName: () => "t", topicArnFor: () => "arn" };

    expect(() => resolveEnvironment(template, { SOMETHING: { "Fn::ImportValue": "shared" } }, local)).toThrow(
      /SOMETHING/,
    );
  });
});

describe("EventBridge rate expressions", () => {
  it("turns rate(...) into seconds", () => {
    expect(parseRateExpression("rate(1 minute)")).toBe(60);
    expect(parseRateExpression("rate(5 minutes)")).toBe(300);
    expect(parseRateExpression("rate(2 hours)")).toBe(7_200);
  });

  it("refuses a cron schedule, which the local clock does not run", () => {
    expect(() => parseRateExpression("cron(0 12 * * ? *)")).toThrow(StackSettingsError);
  });
});
