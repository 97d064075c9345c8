import type { TestProject } from "vitest/node";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/dynamodb-local.js";
import { synthesizeStackTemplate } from "../../local/stack-template.js";
import { type TableDefinition, tableDefinitionsFromTemplate } from "../../local/tables-from-template.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableDefinitions: TableDefinition[];
  }
}

let dynamodb: DynamoDbLocal | undefined;

/** One DynamoDB Local for the whole run; each test file creates its own tables in it. */
export async function setup(project: TestProject): Promise<void> {
  dynamodb = await startDynamoDbLocal();
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  project.provide(
    "tableDefinitions",
    tableDefinitionsFromTemplate(synthesizeStackTemplate({ appIds: "app_test" })),
  );
}

export async function teardown(): Promise<void> {
  await dynamodb?.stop();
}
