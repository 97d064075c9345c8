import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import type { TableDefinition, TableRole } from "./tables-from-template.js";

/** Creates the stack's tables under the given names; returns the name of each table by role. */
export async function createTables(
  client: DynamoDBClient,
  definitions: readonly TableDefinition[],
  nameOf: (role: TableRole) => string,
): Promise<Record<TableRole, string>> {
  const names = {} as Record<TableRole, string>;
  for (const definition of definitions) {
    const TableName = nameOf(definition.role);
    await client.send(new CreateTableCommand({ ...definition.create, TableName }));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName });
    if (definition.ttlAttribute !== undefined) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
        }),
      );
    }
    names[definition.role] = TableName;
  }
  return names;
}
