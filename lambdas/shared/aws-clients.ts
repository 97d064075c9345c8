import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";

// Created once per container, with the SDK's standard configuration (region, credentials,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>): no endpoint is written in code.
// Marked pure so that each Lambda's bundle keeps only the clients it uses.
export const dynamodb = /* @__PURE__ */ new DynamoDBClient({});
export const sns = /* @__PURE__ */ new SNSClient({});
export const secretsManager = /* @__PURE__ */ new SecretsManagerClient({});
