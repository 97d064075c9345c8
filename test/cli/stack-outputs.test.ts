import { describe, expect, it } from "vitest";
import { readStackOutputs, STACK_OUTPUT } from "../../cli/resources.js";
import { synthesizeStackTemplate } from "../../local/stack-template.js";

type Outputs = Record<string, { Value: unknown }>;

describe("the stack outputs the CLI reads", () => {
  it("are declared by the stack, pointing at its tables and dead-letter queue", () => {
    const template = synthesizeStackTemplate() as unknown as {
      Outputs: Outputs;
      Resources: Record<string, { Type: string }>;
    };
    const target = (name: string) => {
      const value = template.Outputs[name]?.Value as { Ref?: string } | undefined;
      return value?.Ref === undefined ? undefined : template.Resources[value.Ref]?.Type;
    };

    expect(target(STACK_OUTPUT.eventsTableName)).toBe("AWS::DynamoDB::Table");
    expect(target(STACK_OUTPUT.stateTableName)).toBe("AWS::DynamoDB::Table");
    expect(target(STACK_OUTPUT.deadLetterQueueUrl)).toBe("AWS::SQS::Queue");
    expect(template.Outputs[STACK_OUTPUT.eventsTableName]?.Value).not.toEqual(
      template.Outputs[STACK_OUTPUT.stateTableName]?.Value,
    );
  });

  it("are read into names, with the optional ones only when present", () => {
    const required = [
      { OutputKey: "EventsTableName", OutputValue: "events" },
      { OutputKey: "StateTableName", OutputValue: "state" },
      { OutputKey: "DeadLetterQueueUrl", OutputValue: "https://sqs/dlq" },
    ];

    expect(readStackOutputs("Hookwatch", required)).toEqual({
      eventsTableName: "events",
      stateTableName: "state",
      deadLetterQueueUrl: "https://sqs/dlq",
    });
    expect(
      readStackOutputs("Hookwatch", [
        ...required,
        { OutputKey: "QueueUrl", OutputValue: "https://sqs/queue" },
        { OutputKey: "AppIds", OutputValue: "app_a, app_b" },
      ]),
    ).toMatchObject({ queueUrl: "https://sqs/queue", appIds: ["app_a", "app_b"] });
    expect(() => readStackOutputs("Old", required.slice(1))).toThrow(
      "stack Old has no output EventsTableName: it is not a hookwatch stack, or an older one",
    );
  });
});
