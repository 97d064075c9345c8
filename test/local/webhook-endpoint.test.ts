import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildWebhookRequestTemplate } from "../../infra/webhook-request-template.js";
import { answerChallenge } from "../../lambdas/challenge/answer-challenge.js";
import { WEBHOOK_ATTRIBUTES, WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import type { SendMessageParameters } from "../../local/api-gateway-vtl.js";
import type { WebhookPostSettings } from "../../local/stack-settings.js";
import { PortInUseError, startWebhookEndpoint, type WebhookEndpoint } from "../../local/webhook-endpoint.js";

// The shape of the stack's POST method; the end-to-end test runs the synthesized one.
const POST: WebhookPostSettings = {
  path: "/webhook",
  requestTemplates: { "application/json": buildWebhookRequestTemplate() },
  requiredHeaders: [WEBHOOK_HEADERS.signature],
  requiredQueryParameters: [],
  bodyModels: { "application/json": { type: "object", minProperties: 1 } },
  validateBody: true,
  validateParameters: true,
  integrationResponses: [
    {
      selectionPattern: "2\\d{2}",
      statusCode: 200,
      responseTemplate: '{"message": "queued", "id": "$context.requestId"}',
    },
    { selectionPattern: "400", statusCode: 400, responseTemplate: '{"message": "refused"}' },
    { statusCode: 500, responseTemplate: '{"message": "could not queue"}' },
  ],
};
const TOKEN = "local-token";

let endpoint: WebhookEndpoint;
let sent: SendMessageParameters[] = [];
let sqsFailure: Error | undefined;

beforeAll(async () => {
  endpoint = await startWebhookEndpoint({
    port: 0,
    path: POST.path,
    post: POST,
    sendMessage: async (parameters) => {
      if (sqsFailure !== undefined) throw sqsFailure;
      sent.push(parameters);
    },
    answerChallenge: (query) => answerChallenge(query, TOKEN, ["app_test"]),
    log: () => {},
  });
});

afterAll(() => endpoint.close());

beforeEach(() => {
  sent = [];
  sqsFailure = undefined;
});

function post(body: string, headers: Record<string, string> = {}, url = endpoint.url) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [WEBHOOK_HEADERS.signature]: "rsassa-pss-sha256=c2ln",
      ...headers,
    },
    body,
  });
}

describe("the local webhook endpoint (API Gateway stand-in)", () => {
  it("queues the body byte for byte with the signature, request id and arrival time, answering exactly 200", async () => {
    const body = '{"app_id":"app_test","events":[{"note":"a&b=c+d %41 \\"q\\" #set($x) é\\n"}]}';

    const response = await post(body, { [WEBHOOK_HEADERS.signatureKeyId]: "kid-1" });

    const requestId = response.headers.get("x-amzn-requestid");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "queued", id: requestId });
    const [message] = sent;
    expect(message?.MessageBody).toBe(body);
    expect(message?.MessageAttributes).toMatchObject({
      [WEBHOOK_ATTRIBUTES.signature]: { DataType: "String", StringValue: "rsassa-pss-sha256=c2ln" },
      [WEBHOOK_ATTRIBUTES.signatureKeyId]: { DataType: "String", StringValue: "kid-1" },
      [WEBHOOK_ATTRIBUTES.requestId]: { DataType: "String", StringValue: requestId },
    });
    expect(Number(message?.MessageAttributes[WEBHOOK_ATTRIBUTES.receivedAt]?.StringValue)).toBeGreaterThan(0);
  });

  it("answers with the integration response SQS's status selects: 400 for a refused message, 500 otherwise", async () => {
    sqsFailure = Object.assign(new Error("message too long"), { $metadata: { httpStatusCode: 400 } });
    const refused = await post('{"app_id":"a"}');
    sqsFailure = new Error("connect ECONNREFUSED");
    const unreachable = await post('{"app_id":"a"}');

    expect([refused.status, await refused.json()]).toEqual([400, { message: "refused" }]);
    expect([unreachable.status, await unreachable.json()]).toEqual([500, { message: "could not queue" }]);
  });

  it("refuses a POST without the required signature header, and queues nothing", async () => {
    const response = await fetch(endpoint.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"app_id":"a"}',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      message: "Missing required request parameters: [X-Webhook-Signature]",
    });
    expect(sent).toEqual([]);
  });

  it("refuses a body that is not a non-empty JSON object, as the model requires", async () => {
    const responses = await Promise.all(["{}", "[1]", "not json", ""].map((body) => post(body)));

    expect(responses.map((response) => response.status)).toEqual([400, 400, 400, 400]);
    expect(sent).toEqual([]);
  });

  it("answers 415 for a content type the integration has no template for", async () => {
    const response = await post('{"a":1}', { "content-type": "text/plain" });

    expect(response.status).toBe(415);
    expect(sent).toEqual([]);
  });

  it("answers API Gateway's 403 for another method or path", async () => {
    const put = await fetch(endpoint.url, { method: "PUT", body: "{}" });
    const elsewhere = await post('{"a":1}', {}, endpoint.url.replace("/webhook", "/other"));

    expect([put.status, elsewhere.status]).toEqual([403, 403]);
    expect(await put.json()).toEqual({ message: "Missing Authentication Token" });
  });

  it("answers the activation challenge on GET: the challenge for the right token, 403 for a wrong one", async () => {
    const challenge = (token: string) =>
      fetch(`${endpoint.url}?event=activate&verification_token=${token}&challenge=12345&app_id=app_test`);

    const right = await challenge(TOKEN);
    const wrong = await challenge("guess");

    expect([right.status, await right.json()]).toEqual([200, { challenge: 12345 }]);
    expect(wrong.status).toBe(403);
  });

  it("explains a taken port instead of failing with EADDRINUSE", async () => {
    const port = Number(new URL(endpoint.url).port);

    const second = startWebhookEndpoint({
      port,
      path: POST.path,
      post: POST,
      sendMessage: async () => {},
      answerChallenge: (query) => answerChallenge(query, TOKEN, []),
      log: () => {},
    });

    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(/--port/);
  });
});
