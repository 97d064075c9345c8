import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { EVENTS_TABLE, STATE_TABLE } from "../lambdas/runtime/table-model.js";
import type { CfnTemplate } from "./stack-template.js";

export type TableRole = "events" | "state";

export interface TableDefinition {
  readonly role: TableRole;
  /** CreateTable input without `TableName`, as the stack defines the table. */
  readonly create: Omit<CreateTableCommandInput, "TableName">;
  readonly ttlAttribute?: string;
}

type CfnKey = { AttributeName: string; KeyType: "HASH" | "RANGE" };
type CfnTable = {
  KeySchema: CfnKey[];
  AttributeDefinitions: { AttributeName: string; AttributeType: "S" | "N" | "B" }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: CfnKey[];
    Projection: { ProjectionType: "ALL" | "KEYS_ONLY" | "INCLUDE"; NonKeyAttributes?: string[] };
  }[];
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
};

function roleOf(table: CfnTable): TableRole {
  const hash = table.KeySchema.find((key) => key.KeyType === "HASH")?.AttributeName;
  if (hash === EVENTS_TABLE.partitionKey) return "events";
  if (hash === STATE_TABLE.partitionKey) return "state";
  throw new Error(`the stack has a table keyed by "${hash}" that hookwatch does not know`);
}

/** Turns the stack's `AWS::DynamoDB::Table` resources into CreateTable inputs for DynamoDB Local. */
export function tableDefinitionsFromTemplate(template: CfnTemplate): TableDefinition[] {
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === "AWS::DynamoDB::Table")
    .map((resource) => {
      const table = resource.Properties as unknown as CfnTable;
      const ttl = table.TimeToLiveSpecification;
      return {
        role: roleOf(table),
        create: {
          BillingMode: "PAY_PER_REQUEST",
          KeySchema: table.KeySchema,
          AttributeDefinitions: table.AttributeDefinitions,
          ...(table.GlobalSecondaryIndexes === undefined
            ? {}
            : {
                GlobalSecondaryIndexes: table.GlobalSecondaryIndexes.map((index) => ({
                  IndexName: index.IndexName,
                  KeySchema: index.KeySchema,
                  Projection: index.Projection,
                })),
              }),
        },
        ...(ttl?.Enabled ? { ttlAttribute: ttl.AttributeName } : {}),
      };
    });
}
