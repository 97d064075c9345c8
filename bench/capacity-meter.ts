import type { AttributeValue, ConsumedCapacity, DynamoDBClient } from "@aws-sdk/client-dynamodb";

/** What a DynamoDB client consumed, as DynamoDB bills it. */
export interface CapacityTotals {
  /** Write request units, GSI writes included; from `ConsumedCapacity`, plus `estimatedWriteUnits`. */
  readonly writeUnits: number;
  /** The part of `writeUnits` computed from item sizes because DynamoDB returned no `ConsumedCapacity`. */
  readonly estimatedWriteUnits: number;
  /** Items written (a transaction of two items counts two), failed conditional writes included. */
  readonly itemWrites: number;
  /** Conditional writes that failed; DynamoDB bills them but returns no `ConsumedCapacity` with the error. */
  readonly failedConditionalWrites: number;
  readonly readUnits: number;
  readonly readRequests: number;
  /** Successful calls that came back without `ConsumedCapacity` (should stay 0). */
  readonly callsWithoutCapacity: number;
}

export const NO_CAPACITY: CapacityTotals = {
  writeUnits: 0,
  estimatedWriteUnits: 0,
  itemWrites: 0,
  failedConditionalWrites: 0,
  readUnits: 0,
  readRequests: 0,
  callsWithoutCapacity: 0,
};

export function subtractCapacity(after: CapacityTotals, before: CapacityTotals): CapacityTotals {
  return {
    writeUnits: after.writeUnits - before.writeUnits,
    estimatedWriteUnits: after.estimatedWriteUnits - before.estimatedWriteUnits,
    itemWrites: after.itemWrites - before.itemWrites,
    failedConditionalWrites: after.failedConditionalWrites - before.failedConditionalWrites,
    readUnits: after.readUnits - before.readUnits,
    readRequests: after.readRequests - before.readRequests,
    callsWithoutCapacity: after.callsWithoutCapacity - before.callsWithoutCapacity,
  };
}

const SINGLE_WRITES = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"]);
const READS = new Set(["GetItemCommand", "QueryCommand", "ScanCommand", "BatchGetItemCommand"]);

type Item = Record<string, AttributeValue>;
type WriteInput = { Item?: Item; Key?: Item };
type TransactInput = {
  TransactItems?: {
    Put?: WriteInput;
    Update?: WriteInput;
    Delete?: WriteInput;
    ConditionCheck?: WriteInput;
  }[];
};

/** Bytes of a number as DynamoDB sizes it: one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text
    .replace(/^[-+]/, "")
    .replace(/e.*$/i, "")
    .replace(".", "")
    .replace(/^0+|0+$/g, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, entry) => sum + Buffer.byteLength(entry), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, entry) => sum + numberBytes(entry), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, entry) => sum + entry.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, entry) => sum + 1 + valueBytes(entry), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  return 0;
}

/** An item's size by DynamoDB's rule: attribute names plus values, UTF-8. */
export function itemBytes(item: Item | undefined): number {
  if (item === undefined) return 0;
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value),
    0,
  );
}

/** Write units for an item of `bytes`: 1 per started KB, at least 1. */
export const writeUnitsFor = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

function sumCapacity(capacity: ConsumedCapacity | ConsumedCapacity[] | undefined): number | undefined {
  if (capacity === undefined) return undefined;
  const list = Array.isArray(capacity) ? capacity : [capacity];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}

/**
 * Asks DynamoDB for `ReturnConsumedCapacity: "INDEXES"` on every read and write a client sends and
 * adds up what it returns, GSIs included. A failed conditional write is billed by DynamoDB but comes
 * back as an error without `ConsumedCapacity`: its units are computed from the larger of the stored
 * and the written item (1 per KB, no index writes; 2× inside a transaction) and reported as estimated.
 */
export function meterCapacity(client: DynamoDBClient): { totals(): CapacityTotals } {
  const totals = { ...NO_CAPACITY };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      const isWrite = SINGLE_WRITES.has(command) || command === "TransactWriteItemsCommand";
      const isRead = READS.has(command);
      if (!isWrite && !isRead) return next(args);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = "INDEXES";
      const transactItems = (input as TransactInput).TransactItems ?? [];
      const items = command === "TransactWriteItemsCommand" ? transactItems.length : 1;
      if (isWrite) totals.itemWrites += items;
      else totals.readRequests += 1;
      try {
        const result = await next(args);
        const units = sumCapacity(
          (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity,
        );
        if (units === undefined) totals.callsWithoutCapacity += 1;
        else if (isWrite) totals.writeUnits += units;
        else totals.readUnits += units;
        return result;
      } catch (error) {
        const name = (error as Error).name;
        if (name === "ConditionalCheckFailedException") {
          const stored = itemBytes((error as { Item?: Item }).Item);
          const written = itemBytes((input as WriteInput).Item ?? (input as WriteInput).Key);
          const units = writeUnitsFor(Math.max(stored, written));
          totals.failedConditionalWrites += 1;
          totals.writeUnits += units;
          totals.estimatedWriteUnits += units;
        } else if (name === "TransactionCanceledException") {
          const units = transactItems.reduce((sum, item) => {
            const write = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
            return sum + 2 * writeUnitsFor(itemBytes(write?.Item ?? write?.Key));
          }, 0);
          totals.failedConditionalWrites += 1;
          totals.writeUnits += units;
          totals.estimatedWriteUnits += units;
        }
        throw error;
      }
    },
    { step: "initialize", name: "meterCapacity" },
  );
  return { totals: () => ({ ...totals }) };
}
