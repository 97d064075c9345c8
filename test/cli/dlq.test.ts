import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliFixture, createCliFixture, tableRows } from "./cli-fixture.js";

// One fixture for the file: the tests run in order, and the redrive at the end empties the dead-letter queue.
let fixture: CliFixture;
beforeAll(async () => {
  fixture = await createCliFixture();
});
afterAll(() => fixture.close());

describe("dlq", () => {
  it("shows the dead letters with request id, app, receive count and a body excerpt, and leaves them there", async () => {
    const { code, stdout } = await fixture.run(["dlq", "--local"]);

    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(
      `Dead-letter queue: 2 messages waiting, 0 in flight (${fixture.state.deadLetterQueueUrl})`,
    );
    const rows = tableRows(stdout);
    expect(rows).toHaveLength(2);
    for (const requestId of ["req-dead-1", "req-dead-2"]) {
      expect(rows).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^2026-11-20 10:01:30Z\\s+40s ago\\s+\\d+\\s+${requestId}\\s+app_test\\s+1\\s+yes\\s+\\d+\\s+\\{"app_id":"app_test","events":\\[\\{"type":"migration.hook_fail…$`,
          ),
        ),
      );
    }
    expect(stdout).toContain("move them back to the webhook queue: npx hookwatch dlq redrive --local");
    expect(await fixture.queueDepth(fixture.state.deadLetterQueueUrl)).toBe(2);
  });

  it("gives whole bodies and attributes in --json", async () => {
    const { stdout } = await fixture.run(["dlq", "--local", "--json"]);

    const output = JSON.parse(stdout) as { depth: unknown; messages: Record<string, unknown>[] };
    expect(output.depth).toEqual({ waiting: 2, in_flight: 0, delayed: 0 });
    expect(output.messages.map((message) => message.request_id).sort()).toEqual(["req-dead-1", "req-dead-2"]);
    expect(output.messages[0]).toMatchObject({
      received_at: "2026-11-20T10:01:30.000Z",
      has_signature: true,
      app_id: "app_test",
      event_count: 1,
    });
    expect(JSON.parse(output.messages[0]?.body as string)).toMatchObject({ app_id: "app_test" });
  });

  it("refuses to redrive without --yes when there is no terminal to ask on (exit 2)", async () => {
    const { code, stderr } = await fixture.run(["dlq", "redrive", "--local"]);

    expect(code).toBe(2);
    expect(stderr).toContain("`dlq redrive` asks before moving messages: pass --yes");
    expect(await fixture.queueDepth(fixture.state.deadLetterQueueUrl)).toBe(2);
  });

  it("moves nothing when the operator answers no (exit 1)", async () => {
    const questions: string[] = [];

    const { code, stdout } = await fixture.run(["dlq", "redrive", "--local"], {
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });

    expect({ code, stdout }).toEqual({ code: 1, stdout: "Nothing moved.\n" });
    expect(questions).toEqual([
      `Move 2 messages from the dead-letter queue back to the webhook queue (${fixture.state.queueUrl})? [y/N] `,
    ]);
    expect(await fixture.queueDepth(fixture.state.deadLetterQueueUrl)).toBe(2);
  });

  it("moves every dead letter back to the webhook queue with SQS's message-move task", async () => {
    const { code, stdout } = await fixture.run(["dlq", "redrive", "--local", "--yes"]);

    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "Moved 2 messages from the dead-letter queue back to the webhook queue (SQS message-move task COMPLETED).",
        "Now: dead-letter queue 0 waiting; webhook queue 2 waiting, 0 in flight.",
        "The processor retries them now; watch `npx hookwatch status --local`.",
        "",
      ].join("\n"),
    );
    expect(await fixture.queueDepth(fixture.state.deadLetterQueueUrl)).toBe(0);
    expect(await fixture.queueDepth(fixture.state.queueUrl)).toBe(2);
  });

  it("reports the move task's outcome in --json, and the messages keep their attributes", async () => {
    await fixture.failWebhookMessages(2);

    const { code, stdout } = await fixture.run(["dlq", "redrive", "--local", "--yes", "--json"]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      redrive: { status: "COMPLETED", moved: 2, failure_reason: null },
      dead_letter_queue: { waiting: 0 },
      queue: { waiting: 2 },
    });
    expect(await fixture.queueDepth(fixture.state.deadLetterQueueUrl)).toBe(0);
    const { Messages = [] } = await fixture.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fixture.state.queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    expect(Messages.map((message) => message.MessageAttributes?.RequestId?.StringValue).sort()).toEqual([
      "req-dead-1",
      "req-dead-2",
    ]);
  });

  it("says there is nothing to redrive, or to see, once the dead-letter queue is empty", async () => {
    const redrive = await fixture.run(["dlq", "redrive", "--local", "--yes"]);
    const peek = await fixture.run(["dlq", "--local"]);

    expect(redrive).toEqual({
      code: 0,
      stdout: "The dead-letter queue is empty: nothing to redrive.\n",
      stderr: "",
    });
    expect(peek).toEqual({ code: 0, stdout: "The dead-letter queue is empty.\n", stderr: "" });
  });
});
