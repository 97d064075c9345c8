import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

type Key = Record<string, { S?: string; N?: string }>;
type WriteInput = {
  TableName?: string;
  Key?: Key;
  Item?: Key;
  TransactItems?: {
    Put?: WriteInput;
    Update?: WriteInput;
    Delete?: WriteInput;
    ConditionCheck?: WriteInput;
  }[];
};

const KEY_NAMES = ["dispatch_id", "pk", "sk"];
const describeKey = (table: string | undefined, key: Key | undefined) =>
  `${table}:${KEY_NAMES.filter((name) => key?.[name])
    .map((name) => key?.[name]?.S ?? key?.[name]?.N)
    .join("|")}`;

/**
 * Counts the write requests each DynamoDB item receives through a client, at the SDK boundary:
 * what the "no hot key" guarantee is about. Conditional writes that fail still count.
 */
export function countItemWrites(client: DynamoDBClient): {
  counts: Map<string, number>;
  max(): [string, number];
} {
  const counts = new Map<string, number>();
  const add = (input: WriteInput | undefined) => {
    if (!input) return;
    const key = describeKey(input.TableName, input.Key ?? input.Item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as WriteInput;
      if (["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"].includes(context.commandName ?? ""))
        add(input);
      if (context.commandName === "TransactWriteItemsCommand") {
        for (const item of input.TransactItems ?? []) add(item.Put ?? item.Update ?? item.Delete);
      }
      return next(args);
    },
    { step: "initialize", name: "countItemWrites" },
  );
  return {
    counts,
    max: () =>
      [...counts.entries()].reduce<[string, number]>(
        (top, entry) => (entry[1] > top[1] ? entry : top),
        ["", 0],
      ),
  };
}
