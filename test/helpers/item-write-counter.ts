import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;
type WriteInput = { TableName?: string; Key?: Item; Item?: Item };
type TransactInput = { TransactItems?: { Put?: WriteInput; Update?: WriteInput; Delete?: WriteInput }[] };

/** Key attributes of every table written: events, state, and (in the bench) Powertools' idempotency table. */
const KEY_NAMES = ["dispatch_id", "pk", "sk", "id"];

const describeItem = (input: WriteInput) => {
  const item = input.Key ?? input.Item ?? {};
  const key = KEY_NAMES.filter((name) => item[name] !== undefined)
    .map((name) => item[name]?.S ?? item[name]?.N)
    // Not "|": the bench shows the key in a Markdown table.
    .join(" / ");
  return `${input.TableName}:${key}`;
};

export interface ItemWrites {
  /** Write requests per item, keyed `<table>:<key>`. */
  readonly counts: ReadonlyMap<string, number>;
  /** The most written item, `<table>:<key>`, and its count. */
  hottest(): [string, number];
}

/**
 * Counts the write requests each DynamoDB item receives through a client, at the SDK boundary: what
 * the "no hot key" guarantee is about. Conditional writes that fail still count. Used by
 * test/bursts/hot-keys.test.ts and the bench.
 */
export function countItemWrites(client: DynamoDBClient): ItemWrites {
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
    { step: "initialize", name: "countItemWrites" },
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
