import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";

// The cold-start floor: what any processor pays before its own code, the two SDK clients at module scope.
export const dynamodb = new DynamoDBClient({});
export const sns = new SNSClient({});

export async function handler(): Promise<void> {}
