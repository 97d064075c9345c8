import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

/**
 * A loopback stand-in for Secrets Manager's GetSecretValue (JSON 1.1 protocol), so the real SDK client
 * is exercised over HTTP the way it talks to AWS. No AWS emulator for Secrets Manager runs here.
 */
const secrets = new Map<string, string>();
const requests: { target: string | undefined; secretId: unknown }[] = [];

const server = createServer(async (request: IncomingMessage, response) => {
  let text = "";
  for await (const chunk of request) text += chunk;
  const input = JSON.parse(text) as { SecretId?: unknown };
  const target = request.headers["x-amz-target"];
  requests.push({ target: typeof target === "string" ? target : undefined, secretId: input.SecretId });
  const value = typeof input.SecretId === "string" ? secrets.get(input.SecretId) : undefined;
  response.setHeader("content-type", "application/x-amz-json-1.1");
  if (target !== "secretsmanager.GetSecretValue" || value === undefined) {
    response.writeHead(400).end(
      JSON.stringify({
        __type: "ResourceNotFoundException",
        message: "Secrets Manager can't find the secret.",
      }),
    );
    return;
  }
  response
    .writeHead(200)
    .end(JSON.stringify({ ARN: input.SecretId, Name: "hmac", SecretString: value, VersionId: "v1" }));
});

const ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:hookwatch-hmac-AbCdEf";
const SECRET = "test-only-hmac-secret-value";

let loadSecretString: typeof import("../../lambdas/runtime/secret-string.js").loadSecretString;
const loadHmacSecret = (arn: string, options: { cacheSeconds?: number; now?: () => number } = {}) =>
  loadSecretString(arn, { ...options, label: "HMAC secret" });

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Standard SDK configuration, as in Lambda: the module-scope client finds the endpoint in the environment.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ loadSecretString } = await import("../../lambdas/runtime/secret-string.js"));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  secrets.clear();
  requests.length = 0;
});

describe("loading the HMAC secret from Secrets Manager", () => {
  it("reads the SecretString of the configured secret", async () => {
    secrets.set(ARN, SECRET);

    const secret = await loadHmacSecret(ARN)();

    expect(secret).toBe(SECRET);
    expect(requests).toEqual([{ target: "secretsmanager.GetSecretValue", secretId: ARN }]);
  });

  it("reads the secret once, then serves it from the cache", async () => {
    secrets.set(ARN, SECRET);
    const hmacSecret = loadHmacSecret(ARN);

    const values = [
      await hmacSecret(),
      ...(await Promise.all([hmacSecret(), hmacSecret()])),
      await hmacSecret(),
    ];

    expect(values).toEqual([SECRET, SECRET, SECRET, SECRET]);
    expect(requests).toHaveLength(1);
  });

  it("shares one read between concurrent callers", async () => {
    secrets.set(ARN, SECRET);
    const hmacSecret = loadHmacSecret(ARN);

    await Promise.all(Array.from({ length: 5 }, () => hmacSecret()));

    expect(requests).toHaveLength(1);
  });

  it("reads the secret again after cacheSeconds, so a rotated secret is picked up", async () => {
    let clock = 0;
    secrets.set(ARN, SECRET);
    const hmacSecret = loadHmacSecret(ARN, { cacheSeconds: 60, now: () => clock });
    await hmacSecret();
    secrets.set(ARN, "rotated-test-only-secret");

    clock = 59_000;
    const beforeExpiry = await hmacSecret();
    clock = 60_000;
    const afterExpiry = await hmacSecret();

    expect(beforeExpiry).toBe(SECRET);
    expect(afterExpiry).toBe("rotated-test-only-secret");
    expect(requests).toHaveLength(2);
  });

  it("fails with the ARN and the error name, and tries again on the next call", async () => {
    const hmacSecret = loadHmacSecret(ARN);

    await expect(hmacSecret()).rejects.toThrow(`cannot read HMAC secret ${ARN}: ResourceNotFoundException`);
    secrets.set(ARN, SECRET);
    const secret = await hmacSecret();

    expect(secret).toBe(SECRET);
    expect(requests).toHaveLength(2);
  });

  it("refuses an empty secret", async () => {
    secrets.set(ARN, "");

    await expect(loadHmacSecret(ARN)()).rejects.toThrow(/has no SecretString/);
  });
});
