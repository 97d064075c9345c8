import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";

// Created once per container, with the SDK's standard configuration (region, credentials,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>): no endpoint is written in code.
export const dynamodb = new DynamoDBClient({});
export const sns = new SNSClient({});
