import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

const TOKEN = "tok-9f8e7d6c5b4a";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hookwatch-token-AbC123";

/** A loopback stand-in for Secrets Manager's GetSecretValue (JSON protocol), counting calls. */
let secretRequests: unknown[] = [];
let failuresLeft = 0;
const server: Server = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    const json = { "Content-Type": "application/x-amz-json-1.1" };
    if (request.headers["x-amz-target"] !== "secretsmanager.GetSecretValue") {
      response.writeHead(400, json).end(JSON.stringify({ __type: "UnknownOperationException" }));
      return;
    }
    secretRequests.push(JSON.parse(body));
    if (failuresLeft > 0) {
      failuresLeft--;
      response.writeHead(500, json).end(JSON.stringify({ __type: "InternalServiceError", message: "down" }));
      return;
    }
    response
      .writeHead(200, json)
      .end(JSON.stringify({ ARN: SECRET_ARN, Name: "token", SecretString: TOKEN }));
  });
});

let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
let logged = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_MAX_ATTEMPTS = "1";
  process.env.VERIFICATION_TOKEN_SECRET_ARN = SECRET_ARN;
  process.env.PRELUDE_APP_IDS = "app_one, app_two";
  process.env.POWERTOOLS_LOG_LEVEL = "INFO";
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk) => {
      logged += String(chunk);
      return true;
    });
  }
  ({ handler } = await import("../../lambdas/challenge/handler.js"));
});

afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  secretRequests = [];
  failuresLeft = 0;
  logged = "";
});

const context = { functionName: "challenge", awsRequestId: "req-1" } as Context;
const get = (query: Record<string, string> | null) =>
  handler({ httpMethod: "GET", queryStringParameters: query } as APIGatewayProxyEvent, context);
const activation = { event: "activate", verification_token: TOKEN, challenge: "42", app_id: "app_one" };

describe("the challenge handler", () => {
  it("answers a valid activation with 200 and the challenge, reading the token once per container", async () => {
    const first = await get(activation);
    const second = await get({ ...activation, challenge: "43" });

    expect(first).toEqual({
      statusCode: 200,
      headers: { "Content-Type": "application/json" },
      body: '{"challenge":42}',
    });
    expect(second.body).toBe('{"challenge":43}');
    expect(secretRequests).toEqual([{ SecretId: SECRET_ARN }]);
  });

  it("refuses a wrong token and a request without parameters with 403", async () => {
    expect((await get({ ...activation, verification_token: "guess" })).statusCode).toBe(403);
    expect((await get(null)).statusCode).toBe(403);
  });

  it("logs why it refused, but never the token", async () => {
    await get({ ...activation, verification_token: "guess-token" });
    await get(activation);

    expect(logged).toContain('"refusal":"wrong_token"');
    expect(logged).toContain("activation challenge answered");
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain("guess-token");
  });
});

describe("the challenge handler in a fresh container", () => {
  it("answers 500 while Secrets Manager fails, then recovers on the next request", async () => {
    vi.resetModules();
    ({ handler } = await import("../../lambdas/challenge/handler.js"));
    failuresLeft = 1;

    const during = await get(activation);
    const after = await get(activation);

    expect(during.statusCode).toBe(500);
    expect(during.body).not.toContain(TOKEN);
    expect(after).toMatchObject({ statusCode: 200, body: '{"challenge":42}' });
    expect(secretRequests).toEqual([{ SecretId: SECRET_ARN }, { SecretId: SECRET_ARN }]);
  });
});
