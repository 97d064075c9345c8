import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_TIMEOUT } from "../../infra/delivery-destination.js";
import type { HookwatchStack } from "../../infra/hookwatch-stack.js";
import { MIN_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR } from "../../infra/webhook-queue.js";
import { loadDeliveryConfig } from "../../lambdas/destinations/destination-settings.js";
import { synthesizeHookwatch } from "./synthesize.js";

const PD_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookwatch/pagerduty-AbC123";
const WH_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookwatch/webhook-XyZ789";
const DESTINATIONS = [
  { type: "pagerduty", name: "oncall", routingKeySecretArn: PD_ARN },
  { type: "webhook", name: "incident-tool", url: "https://hooks.example.com/in", signingSecretArn: WH_ARN },
];

type Resource = { Type: string; Properties: Record<string, unknown> };

function deliveryFunctions(template: Template): Resource[] {
  return Object.values(template.findResources("AWS::Lambda::Function")).filter((fn) =>
    JSON.stringify(fn).includes('"DESTINATION"'),
  ) as Resource[];
}

describe("delivery with no destination configured", () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthesizeHookwatch());
  });

  it("has no delivery function, queue or output", () => {
    expect(deliveryFunctions(template)).toEqual([]);
    template.resourceCountIs("AWS::SNS::Subscription", 0);
    expect(template.findOutputs("DeliveryDeadLetterQueues")).toEqual({});
  });
});

describe("delivery with a PagerDuty and a webhook destination", () => {
  let built: { stack: HookwatchStack; template: Template };
  beforeAll(() => {
    built = synthesizeHookwatch({ destinations: JSON.stringify(DESTINATIONS) });
  });

  it("gives each destination its own function, whose environment the function itself accepts", () => {
    const functions = deliveryFunctions(built.template);

    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      const variables = built.stack.resolve((fn.Properties.Environment as { Variables: object }).Variables);
      const stringly = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === "string" ? value : "resolved",
        ]),
      );
      expect(() => loadDeliveryConfig(stringly)).not.toThrow();
      expect(fn.Properties.Timeout).toBe(DELIVERY_TIMEOUT.toSeconds());
    }
  });

  it("subscribes one queue per destination to the paging topic, raw, with the undelivered queue behind it", () => {
    const subscriptions = Object.values(built.template.findResources("AWS::SNS::Subscription")) as Resource[];

    expect(subscriptions).toHaveLength(2);
    for (const subscription of subscriptions) {
      expect(subscription.Properties).toMatchObject({
        Protocol: "sqs",
        RawMessageDelivery: true,
        TopicArn: built.stack.resolve(built.stack.topics.paging.topicArn),
        RedrivePolicy: {
          deadLetterTargetArn: built.stack.resolve(built.stack.topics.undeliveredQueue.queueArn),
        },
      });
    }
    const queues = new Set(subscriptions.map((s) => JSON.stringify(s.Properties.Endpoint)));
    expect(queues.size).toBe(2);
  });

  it("retries each page on its queue, then dead-letters it, and feeds the function with partial batch failures", () => {
    for (const delivery of built.stack.deliveries) {
      built.template.hasResourceProperties("AWS::SQS::Queue", {
        VisibilityTimeout: DELIVERY_TIMEOUT.toSeconds() * VISIBILITY_TIMEOUT_FACTOR,
        RedrivePolicy: {
          deadLetterTargetArn: built.stack.resolve(delivery.deadLetterQueue.queueArn),
          maxReceiveCount: MIN_MAX_RECEIVE_COUNT,
        },
        SqsManagedSseEnabled: true,
      });
      built.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: built.stack.resolve(delivery.queue.queueArn),
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      });
    }
  });

  it("lets each function read only its own secret and send only to its own dead-letter queue", () => {
    const policies = Object.values(built.template.findResources("AWS::IAM::Policy")) as Resource[];
    const readers = (arn: string) => policies.filter((policy) => JSON.stringify(policy).includes(arn));

    expect(readers(PD_ARN)).toHaveLength(1);
    expect(JSON.stringify(readers(PD_ARN)[0]?.Properties.Roles)).toContain("Deliveryoncall");
    expect(readers(WH_ARN)).toHaveLength(1);
    expect(JSON.stringify(readers(WH_ARN)[0]?.Properties.Roles)).toContain("Deliveryincidenttool");
  });

  it("keeps the secrets out of the template: only their ARNs", () => {
    const text = JSON.stringify(built.template.toJSON());

    expect(text).toContain(PD_ARN);
    expect(text).not.toMatch(/whsec_/);
  });

  it("alarms the operations topic when a page is dead-lettered or waits too long", () => {
    const operations = built.stack.resolve(built.stack.topics.operations.topicArn);
    for (const delivery of built.stack.deliveries) {
      built.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: built.stack.resolve(delivery.deadLetterQueue.queueName) }],
        Threshold: 1,
        AlarmActions: [operations],
        OKActions: [operations],
        AlarmDescription: Match.stringLikeRegexp(`dlq redrive --destination ${delivery.destinationName}`),
      });
      built.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: built.stack.resolve(delivery.queue.queueName) }],
        AlarmActions: [operations],
      });
    }
  });

  it("names each destination's dead-letter queue in an output, for the CLI", () => {
    const outputs = built.template.findOutputs("DeliveryDeadLetterQueues");

    expect(JSON.stringify(outputs)).toContain("oncall=");
    expect(JSON.stringify(outputs)).toContain(",incident-tool=");
  });
});
