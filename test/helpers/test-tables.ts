import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { createTables } from "../../local/create-tables.js";
import type { TableRole } from "../../local/tables-from-template.js";

/** A client for the run's DynamoDB Local. */
export function localDynamoDb(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
}

/** Fresh tables, defined exactly as the stack defines them, with names unique to the caller. */
export async function createTestTables(client = localDynamoDb()): Promise<Record<TableRole, string>> {
  const suffix = randomUUID().slice(0, 8);
  return createTables(client, inject("tableDefinitions"), (role) => `hookwatch-${role}-${suffix}`);
}
