import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;
type WriteInput = { TableName?: string; Key?: Item; Item?: Item };
type TransactInput = { TransactItems?: { Put?: WriteInput; Update?: WriteInput; Delete?: WriteInput }[] };

/** Key attributes of every table the bench writes: events, state, and Powertools' idempotency table. */
const KEY_NAMES = ["dispatch_id", "pk", "sk", "id"];

const describeItem = (input: WriteInput) => {
  const item = input.Key ?? input.Item ?? {};
  const key = KEY_NAMES.filter((name) => item[name] !== undefined)
    .map((name) => item[name]?.S ?? item[name]?.N)
    // Not "|": the key is shown in a Markdown table.
    .join(" / ");
  return `${input.TableName}:${key}`;
};

export interface ItemWrites {
  readonly counts: ReadonlyMap<string, number>;
  /** The most written item, `<table>:<key>`, and its count. */
  hottest(): [string, number];
}

/**
 * Counts write requests per item at the SDK boundary (failed conditional writes included), like
 * test/helpers/item-write-counter.ts, plus the `id` key of Powertools' idempotency table.
 */
export function countWritesPerItem(client: DynamoDBClient): ItemWrites {
  const counts = new Map<string, number>();
  const add = (input: WriteInput | undefined) => {
    if (!input) return;
    const item = describeItem(input);
    counts.set(item, (counts.get(item) ?? 0) + 1);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      if (["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"].includes(command)) {
        add(args.input as WriteInput);
      }
      if (command === "TransactWriteItemsCommand") {
        for (const entry of (args.input as TransactInput).TransactItems ?? []) {
          add(entry.Put ?? entry.Update ?? entry.Delete);
        }
      }
      return next(args);
    },
    { step: "initialize", name: "countWritesPerItem" },
  );
  return {
    counts,
    hottest: () =>
      [...counts.entries()].reduce<[string, number]>(
        (top, entry) => (entry[1] > top[1] ? entry : top),
        ["", 0],
      ),
  };
}
