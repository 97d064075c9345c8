import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createSqsServer } from "local-aws-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Resources } from "../../cli/resources.js";
import { CHALLENGE_HOPS, checkActivation } from "../../cli/selftest/challenge-hops.js";
import { checkQueueDepth, HEALTH_HOPS } from "../../cli/selftest/health-hops.js";
import { judgeProbeRecord, PROBE_HOPS, type Queued } from "../../cli/selftest/probe-hops.js";
import {
  buildProbeBody,
  createThrowawaySigner,
  probeBodyBytes,
  signProbe,
  TEMPLATE_MARGIN_BYTES,
} from "../../cli/selftest/probe-request.js";
import type { SelftestTarget } from "../../cli/selftest/selftest-target.js";
import type { ChallengeAnswer } from "../../lambdas/challenge/answer-challenge.js";
import { sha256Hex } from "../../lambdas/webhook/event-validation.js";
import { toSendMessageInput } from "../../lambdas/webhook/webhook-message.js";
import { LOCAL_CREDENTIALS } from "../../local/local-aws.js";
import type { WebhookPostSettings } from "../../local/stack-settings.js";
import { startWebhookEndpoint, type WebhookEndpoint } from "../../local/webhook-endpoint.js";

/** The hops' verdicts on what a broken deployment answers, each against a real local part where one exists. */

const POST: WebhookPostSettings = {
  path: "/webhook",
  requestTemplates: {},
  requiredHeaders: [],
  requiredQueryParameters: [],
  bodyModels: {},
  validateBody: false,
  validateParameters: false,
  integrationResponses: [],
};

let challengeAnswer: (query: Readonly<Record<string, string | undefined>>) => ChallengeAnswer;
let endpoint: WebhookEndpoint;

beforeAll(async () => {
  endpoint = await startWebhookEndpoint({
    port: 0,
    path: POST.path,
    post: POST,
    sendMessage: async () => {},
    answerChallenge: (query) => challengeAnswer(query),
    log: () => {},
  });
});

afterAll(() => endpoint.close());

function localTarget(token: string): SelftestTarget {
  return {
    resources: { local: true } as Resources,
    webhookUrl: endpoint.url,
    appId: "app_test",
    tokenSource: ".local/verification-token",
    readVerificationToken: async () => token,
    sns: undefined as never,
    close: () => {},
  };
}

describe("activation hops", () => {
  it("fail the wrong-token hop when the endpoint answers any token", async () => {
    challengeAnswer = (query) => ({ statusCode: 200, body: `{"challenge":${query.challenge}}` });

    const [configured, wrong] = await checkActivation(localTarget("the-token"));

    expect(configured).toMatchObject({ hop: CHALLENGE_HOPS.configuredToken, verdict: "verified" });
    expect(wrong).toMatchObject({
      hop: CHALLENGE_HOPS.wrongToken,
      verdict: "failed",
      detail: expect.stringContaining("anyone who knows the URL can activate"),
    });
  });

  it("fail the configured-token hop when the answer is not the same challenge", async () => {
    challengeAnswer = () => ({ statusCode: 200, body: '{"verification_token":"the-token"}' });

    const [configured] = await checkActivation(localTarget("the-token"));

    expect(configured).toMatchObject({
      verdict: "failed",
      fix: expect.stringContaining("same integer back"),
    });
  });

  it("fail the configured-token hop on an empty token without sending it", async () => {
    let asked = 0;
    challengeAnswer = () => {
      asked += 1;
      return { statusCode: 403, body: "{}", refusal: "wrong_token" };
    };

    const [configured] = await checkActivation(localTarget(""));

    expect(configured).toMatchObject({ verdict: "failed", detail: expect.stringContaining("is empty") });
    expect(asked).toBe(1);
  });
});

describe("a probe's stored record", () => {
  const signer = createThrowawaySigner("20261120T100000-abcdef");
  const body = buildProbeBody({ appId: "app_test", runId: "run", probe: "json", text: "Zürich ✓" });
  const entry: Queued = {
    probe: signProbe(signer, PROBE_HOPS.json, "application/json", body),
    requestId: "req-1",
    bytes: Buffer.byteLength(body),
  };
  const row = (reason: string, sha = sha256Hex(body)) => ({
    received_at: "2026-11-20T10:00:00.000Z",
    reason,
    request_id: "req-1",
    body_sha256: sha,
    body_bytes: Buffer.byteLength(body),
  });

  it("verifies the path when rejected for the probe's own key id with the body's own hash", () => {
    const result = judgeProbeRecord(
      entry,
      "rejected",
      row(`unknown key id "${signer.kid}": not in the JWKS`),
    );

    expect(result.verdict).toBe("verified");
  });

  it("fails when the processor never saw the signature header", () => {
    const result = judgeProbeRecord(entry, "rejected", row("missing X-Webhook-Signature header"));

    expect(result).toMatchObject({ verdict: "failed", fix: expect.stringContaining("X-Webhook-Signature") });
  });

  it("fails when the key id header did not reach the processor", () => {
    const result = judgeProbeRecord(
      entry,
      "rejected",
      row('RSASSA-PSS signature does not verify with any of the 1 key(s) of app "app_test"'),
    );

    expect(result).toMatchObject({
      verdict: "failed",
      fix: expect.stringContaining("X-Webhook-Signature-Key-Id"),
    });
  });

  it("fails when the body reached the processor altered", () => {
    const result = judgeProbeRecord(
      entry,
      "rejected",
      row(`unknown key id "${signer.kid}"`, sha256Hex(`${body} `)),
    );

    expect(result).toMatchObject({ verdict: "failed", detail: expect.stringContaining("altered") });
  });

  it("fails, naming the setting, when the probe was accepted without verification", () => {
    const result = judgeProbeRecord(entry, "quarantined", row("events must be an array"));

    expect(result).toMatchObject({
      verdict: "failed",
      fix: expect.stringContaining("signatureVerification=on"),
    });
  });
});

describe("hops against the SQS stand-in: queue depth and the near-maximum probe's size", () => {
  let server: Server;
  let sqs: SQSClient;

  beforeAll(async () => {
    server = await createSqsServer({
      port: 0,
      hostname: "127.0.0.1",
      region: "us-east-1",
      accountId: "123456789012",
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    sqs = new SQSClient({
      endpoint: `http://127.0.0.1:${address.port}`,
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
    });
  });

  afterAll(async () => {
    sqs.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("fails the queue hop on pages a delivery destination dead-lettered, naming it and its dlq command", async () => {
    const create = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${randomUUID()}` }))).QueueUrl as string;
    const [webhook, webhookDead, pagerduty, pagerdutyDead, slack, slackDead] = await Promise.all(
      ["webhook", "webhook-dlq", "pagerduty", "pagerduty-dlq", "slack", "slack-dlq"].map(create),
    );
    const target = (deliveries: Resources["deliveries"]) =>
      ({
        resources: {
          local: false,
          selector: "--stack hookwatch",
          sqs,
          queueUrl: async () => webhook,
          deadLetterQueueUrl: webhookDead,
          deliveries,
        } as unknown as Resources,
      }) as SelftestTarget;
    const deliveries = [
      {
        name: "pagerduty",
        queueUrl: async () => pagerduty as string,
        deadLetterQueueUrl: pagerdutyDead as string,
      },
      { name: "slack", queueUrl: async () => slack as string, deadLetterQueueUrl: slackDead as string },
    ];

    const clean = await checkQueueDepth(target(deliveries));
    expect(clean).toMatchObject({ hop: HEALTH_HOPS.queues, verdict: "verified" });
    expect(clean.detail).toBe(
      "webhook queue 0 waiting, 0 in flight, pagerduty 0 waiting, 0 in flight, slack 0 waiting, 0 in flight; every dead-letter queue is empty",
    );

    await sqs.send(
      new SendMessageCommand({ QueueUrl: pagerdutyDead, MessageBody: '{"event_action":"trigger"}' }),
    );
    const dead = await checkQueueDepth(target(deliveries));

    expect(dead.verdict).toBe("failed");
    expect(dead.detail).toContain("pagerduty's dead-letter queue holds 1 page it never took");
    expect(dead.detail).not.toContain("slack's dead-letter queue");
    expect(dead.fix).toBe(
      "see pagerduty's answers with `npx hookwatch dlq --destination pagerduty --stack hookwatch`, fix it, then `npx hookwatch dlq redrive --destination pagerduty --stack hookwatch`",
    );
  });

  it("fits the queue's maximum with the gateway's attributes, with exactly the template margin to spare", async () => {
    const maximum = 8_192;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: "sized", Attributes: { MaximumMessageSize: String(maximum) } }),
    );
    const signer = createThrowawaySigner("20261120T100000-abcdef");
    const send = (bytes: number) => {
      const body = buildProbeBody({ appId: "app_test", runId: "run", probe: "near-maximum" }, bytes);
      expect(Buffer.byteLength(body)).toBe(bytes);
      // The attributes the request template adds, as the gateway fills them in.
      const message = toSendMessageInput({
        body,
        requestId: randomUUID(),
        receivedAt: Date.parse("2026-11-20T10:00:00Z"),
        signature: signer.sign(body),
        signatureKeyId: signer.kid,
      });
      return sqs.send(new SendMessageCommand({ QueueUrl, ...message }));
    };
    const bytes = probeBodyBytes(maximum, signer);

    await expect(send(bytes)).resolves.toMatchObject({ MessageId: expect.any(String) });
    await expect(send(bytes + TEMPLATE_MARGIN_BYTES)).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
    await expect(send(bytes + TEMPLATE_MARGIN_BYTES + 1)).rejects.toThrow(/shorter than 8192 bytes/);
  });
});
