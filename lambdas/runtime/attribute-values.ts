import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export type Item = Record<string, AttributeValue>;

/** Builds a DynamoDB item from plain values, leaving out the undefined ones. */
export function toItem(values: Record<string, string | number | readonly string[] | undefined>): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (typeof value === "string") item[name] = { S: value };
    else if (typeof value === "number") item[name] = { N: String(value) };
    // DynamoDB has no empty sets: an empty list of strings is simply left out.
    else if (value.length > 0) item[name] = { SS: [...value] };
  }
  return item;
}

export function readString(item: Item | undefined, name: string): string | undefined {
  return item?.[name]?.S;
}

export function readNumber(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

/** Epoch seconds for a DynamoDB TTL attribute, `days` after `fromMs`. */
export function expiresAfterDays(fromMs: number, days: number): number {
  return Math.floor(fromMs / 1000) + days * 86_400;
}

/** UTC day of an epoch-ms time, `YYYY-MM-DD`: the partition of day-bucketed records. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
