import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { EVENTS_TABLE, STATE_TABLE } from "../../lambdas/runtime/table-model.js";
import { createTestTables, localDynamoDb } from "../helpers/test-tables.js";

describe("tables created from the stack template", () => {
  it("creates both tables with the stack's keys, indexes and TTL in DynamoDB Local", async () => {
    const client = localDynamoDb();

    const names = await createTestTables(client);

    const events = await client.send(new DescribeTableCommand({ TableName: names.events }));
    expect(events.Table?.KeySchema).toEqual([{ AttributeName: EVENTS_TABLE.partitionKey, KeyType: "HASH" }]);
    expect(events.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      EVENTS_TABLE.byHookIndex.name,
    ]);
    const state = await client.send(new DescribeTableCommand({ TableName: names.state }));
    expect(state.Table?.KeySchema?.map((key) => key.AttributeName)).toEqual([
      STATE_TABLE.partitionKey,
      STATE_TABLE.sortKey,
    ]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: names.state }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(STATE_TABLE.ttlAttribute);
  });
});
