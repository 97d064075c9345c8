import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { createSqsServer } from "local-aws-sqs";
import { inject } from "vitest";
import { runCli } from "../../cli/main.js";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { toSendMessageInput } from "../../lambdas/webhook/webhook-message.js";
import { findFreePort } from "../../local/free-port.js";
import { LOCAL_CREDENTIALS } from "../../local/local-aws.js";
import { type LocalPipelineState, PIPELINE_STATE_FILE } from "../../local/pipeline-state.js";
import { batchBody, migrationFailure, stepUpFailure, wrapped } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

export const BASE = Date.parse("2026-11-20T10:00:00Z");
/** The CLI's "now" in these tests: 2m 10s after the first event. */
export const NOW = BASE + 130_000;
export const APP = "app_test";
const REGION = "us-east-1";
const ACCOUNT = "123456789012";

const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliFixture {
  readonly harness: Harness;
  /** A directory holding `.local/pipeline.json` that points at this fixture's stand-ins. */
  readonly directory: string;
  readonly state: LocalPipelineState;
  readonly sqs: SQSClient;
  readonly sqsEndpoint: string;
  /** Runs the CLI in-process from `directory`, with the clock at NOW. */
  run(
    args: readonly string[],
    options?: {
      confirm?: (question: string) => Promise<boolean>;
      env?: NodeJS.ProcessEnv;
      cwd?: string;
      /** Makes stderr claim to be a terminal, so progress lines appear. */
      terminal?: boolean;
    },
  ): Promise<CliRun>;
  queueDepth(queueUrl: string): Promise<number>;
  /** Receives the webhook queue's messages until `count` sit in the dead-letter queue, as failing processing would. */
  failWebhookMessages(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The known data set of app_test, written by the real processor and recovery code:
 * - migration: request_failed at +0, +2, +4, +6, +8 s and invalid_status_code at +10 s (a burst,
 *   paged, then resolved by the recovery run at +120 s); missing_external_id at +20 s; a wrapped
 *   invalid_response without dispatch_id at +25 s (keyed by its envelope id); at +75 s mig-03 again
 *   with other content (a conflict).
 * - step-up: request_failed for usr_alice at +30 s and usr_bob at +40 s (below the threshold);
 *   brand_new_reason at +50 s (an unknown reason); five request_failed for usr_dave at +110..+118 s:
 *   a burst, paged and still open at NOW.
 * - rejected: a forged signature (+60 s), an unconfigured app (+61 s); quarantined: a body that is not
 *   JSON (+70 s), a step-up event without user_id (+71 s).
 * - the dead-letter queue holds two webhook messages that failed on the webhook queue.
 */
export async function createCliFixture(): Promise<CliFixture> {
  // Write as the local pipeline does, with its dummy key.
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  const harness = await createHarness({ appIds: [APP] });
  const send = async (seconds: number, events: Record<string, unknown>[], appId: string = APP) => {
    harness.clock.now = BASE + seconds * 1000;
    await harness.send(events, { appId });
  };
  await send(4, [
    migrationFailure({ dispatch_id: "mig-01", correlation_id: "corr_m01", occurred_at: at(0) }),
    migrationFailure({ dispatch_id: "mig-02", correlation_id: "corr_m02", occurred_at: at(2) }),
    migrationFailure({ dispatch_id: "mig-03", correlation_id: "corr_m03", occurred_at: at(4) }),
  ]);
  await send(10, [
    migrationFailure({ dispatch_id: "mig-04", correlation_id: "corr_m04", occurred_at: at(6) }),
    migrationFailure({ dispatch_id: "mig-05", correlation_id: "corr_m05", occurred_at: at(8) }),
    migrationFailure({
      dispatch_id: "mig-06",
      correlation_id: "corr_m06",
      reason: "invalid_status_code",
      occurred_at: at(10),
    }),
  ]);
  await send(25, [
    migrationFailure({
      dispatch_id: "mig-07",
      correlation_id: "corr_m07",
      reason: "missing_external_id",
      occurred_at: at(20),
    }),
    wrapped(
      (({ dispatch_id: _, ...event }) => event)(
        migrationFailure({ correlation_id: "corr_m08", reason: "invalid_response", occurred_at: at(25) }),
      ),
      "evt_wrapped_1",
    ),
  ]);
  await send(50, [
    stepUpFailure({
      dispatch_id: "stp-01",
      user_id: "usr_alice",
      session_id: "ses_alice",
      scope: "transfer_funds",
      correlation_id: "corr_s01",
      occurred_at: at(30),
    }),
    stepUpFailure({
      dispatch_id: "stp-02",
      user_id: "usr_bob",
      session_id: "ses_bob",
      scope: "change_email",
      correlation_id: "corr_s02",
      occurred_at: at(40),
    }),
    stepUpFailure({
      dispatch_id: "stp-03",
      user_id: "usr_carol",
      session_id: "ses_carol",
      scope: "transfer_funds",
      reason: "brand_new_reason",
      occurred_at: at(50),
    }),
  ]);

  harness.clock.now = BASE + 60_000;
  const forged = batchBody([migrationFailure({ occurred_at: at(60) })]);
  await processMessage(
    harness.deps(),
    harness.signedMessage(forged, { requestId: "req-forged", signature: "rsassa-pss-sha256=Zm9yZ2Vk" }),
  );
  harness.clock.now = BASE + 61_000;
  await processMessage(
    harness.deps(),
    harness.signedMessage(batchBody([migrationFailure({ occurred_at: at(61) })], "app_other"), {
      requestId: "req-other-app",
    }),
  );
  harness.clock.now = BASE + 70_000;
  await processMessage(harness.deps(), harness.signedMessage("not json {", { requestId: "req-not-json" }));
  harness.clock.now = BASE + 71_000;
  await processMessage(
    harness.deps(),
    harness.signedMessage(
      batchBody([{ ...stepUpFailure({ dispatch_id: "stp-bad", occurred_at: at(71) }), user_id: undefined }]),
      { requestId: "req-invalid-event" },
    ),
  );

  // The same dispatch_id with other content: kept aside as a conflict, not stored.
  await send(75, [
    migrationFailure({ dispatch_id: "mig-03", correlation_id: "corr_changed", occurred_at: at(4) }),
  ]);
  for (let second = 110; second <= 118; second += 2) {
    await send(second, [
      stepUpFailure({
        dispatch_id: `stp-${second}`,
        user_id: "usr_dave",
        session_id: "ses_dave",
        scope: "close_account",
        correlation_id: `corr_s${second}`,
        occurred_at: at(second),
      }),
    ]);
  }
  await harness.recover(BASE + 120_000);

  const sqsPort = await findFreePort();
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const deadLetterArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:hookwatch-dlq`;
  const server: Server = await createSqsServer({
    port: sqsPort,
    hostname: "127.0.0.1",
    region: REGION,
    accountId: ACCOUNT,
    queues: [
      { QueueName: "hookwatch-dlq" },
      {
        QueueName: "hookwatch-webhooks",
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: 1 }),
        },
      },
    ],
  });
  const sqs = new SQSClient({ endpoint: sqsEndpoint, region: REGION });
  const queueUrl = `${sqsEndpoint}/${ACCOUNT}/hookwatch-webhooks`;
  const deadLetterQueueUrl = `${sqsEndpoint}/${ACCOUNT}/hookwatch-dlq`;
  const queueDepth = async (url: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages);
  };
  // Two webhook POSTs fail on the webhook queue and reach the dead-letter queue through its redrive policy.
  for (const requestId of ["req-dead-1", "req-dead-2"]) {
    const message = harness.signedMessage(batchBody([migrationFailure({ occurred_at: at(90) })]), {
      requestId,
      receivedAt: BASE + 90_000,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...toSendMessageInput(message) }));
  }
  const failWebhookMessages = async (count: number) => {
    // maxReceiveCount is 1: a receive whose visibility runs out at once sends the message on.
    for (let attempt = 0; attempt < 100 && (await queueDepth(deadLetterQueueUrl)) < count; attempt++) {
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
    }
  };
  await failWebhookMessages(2);

  const directory = await mkdtemp(join(tmpdir(), "hookwatch-cli-"));
  const state: LocalPipelineState = {
    pid: process.pid,
    startedAt: new Date(BASE).toISOString(),
    region: REGION,
    webhookUrl: "http://127.0.0.1:9/webhook",
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    sqsEndpoint,
    snsEndpoint: "http://127.0.0.1:9",
    eventsTableName: harness.tables.events,
    stateTableName: harness.tables.state,
    queueUrl,
    deadLetterQueueUrl,
    pagerFile: join(directory, ".local", "pages.jsonl"),
    appIds: [APP],
    deliveries: [],
  };
  await writePipelineState(directory, state);

  return {
    harness,
    directory,
    state,
    sqs,
    sqsEndpoint,
    queueDepth,
    failWebhookMessages,
    async run(args, options = {}) {
      let stdout = "";
      let stderr = "";
      const code = await runCli(args, {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text), isTTY: options.terminal === true },
        cwd: options.cwd ?? directory,
        env: options.env ?? process.env,
        now: () => NOW,
        ...(options.confirm ? { confirm: options.confirm } : {}),
      });
      return { code, stdout, stderr };
    },
    async close() {
      sqs.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await harness.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export async function writePipelineState(directory: string, state: LocalPipelineState): Promise<void> {
  await mkdir(join(directory, ".local"), { recursive: true });
  await writeFile(join(directory, PIPELINE_STATE_FILE), JSON.stringify(state, null, 2));
}

/** The data rows of the first table in a command's output: the lines after its heading, up to a blank line. */
export function tableRows(output: string): string[] {
  const lines = output.split("\n");
  const heading = lines.findIndex((line) => /^[A-Z][A-Z_ ()]+(\s{2,}[A-Z][A-Z_ ()]+)+$/.test(line.trim()));
  if (heading === -1) return [];
  const end = lines.indexOf("", heading);
  return lines.slice(heading + 1, end === -1 ? undefined : end);
}
