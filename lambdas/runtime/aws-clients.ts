import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { AWS_HTTP_TIMEOUTS, MAX_SOCKETS } from "./http-limits.js";

/** The configuration every hookwatch client is made with (the tests use it too). */
export const AWS_CLIENT_CONFIG = {
  requestHandler: {
    ...AWS_HTTP_TIMEOUTS,
    httpAgent: { maxSockets: MAX_SOCKETS },
    httpsAgent: { maxSockets: MAX_SOCKETS },
  },
} as const;

// Created once per container, with the SDK's standard configuration (region, credentials,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>): no endpoint is written in code.
// Marked pure so that each Lambda's bundle keeps only the clients it uses.
export const dynamodb = /* @__PURE__ */ new DynamoDBClient(AWS_CLIENT_CONFIG);
export const sns = /* @__PURE__ */ new SNSClient(AWS_CLIENT_CONFIG);
export const sqs = /* @__PURE__ */ new SQSClient(AWS_CLIENT_CONFIG);

let secretsManagerClient: SecretsManagerClient | undefined;
/** Created on first use: the processor needs it only when an HMAC secret is configured. */
export function secretsManager(): SecretsManagerClient {
  secretsManagerClient ??= new SecretsManagerClient(AWS_CLIENT_CONFIG);
  return secretsManagerClient;
}
