import { QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { expiresAfterDays } from "../runtime/attribute-values.js";
import { type BurstTables, iso } from "./burst-record.js";
import type { FailurePoint } from "./burst-window.js";

/** Candidate entries outlive any window; they only matter until a burst opens or the window passes. */
const CANDIDATE_TTL_DAYS = 2;

const candidateSk = (bucketMs: number) => `CAND#${iso(bucketMs)}`;
const encodeCandidate = (failure: FailurePoint) => `${failure.t}|${failure.reason}|${failure.key}`;

function decodeCandidate(entry: string): FailurePoint | undefined {
  const [t, reason, ...key] = entry.split("|");
  if (t === undefined || reason === undefined || key.length === 0) return undefined;
  return { t: Number(t), reason, key: key.join("|") };
}

/**
 * Adds a failure to its window-sized bucket in `partition` (a group's bursts, or its response storms). A
 * string-set ADD is idempotent, so redelivery never counts twice; only failures outside any burst come
 * here, which keeps each bucket item small.
 */
export async function addCandidate(
  tables: BurstTables,
  partition: string,
  bucketMs: number,
  failure: FailurePoint,
  nowMs: number,
): Promise<void> {
  await tables.client.send(
    new UpdateItemCommand({
      TableName: tables.stateTableName,
      Key: { pk: { S: partition }, sk: { S: candidateSk(bucketMs) } },
      UpdateExpression: "ADD entries :entry SET expires_at = :expires",
      ExpressionAttributeValues: {
        ":entry": { SS: [encodeCandidate(failure)] },
        ":expires": { N: String(expiresAfterDays(nowMs, CANDIDATE_TTL_DAYS)) },
      },
    }),
  );
}

/** Candidates of the buckets from `fromBucketMs` to `toBucketMs`, read strongly consistent. */
export async function readCandidates(
  tables: BurstTables,
  partition: string,
  fromBucketMs: number,
  toBucketMs: number,
): Promise<FailurePoint[]> {
  const { Items = [] } = await tables.client.send(
    new QueryCommand({
      TableName: tables.stateTableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: {
        ":pk": { S: partition },
        ":from": { S: candidateSk(fromBucketMs) },
        ":to": { S: candidateSk(toBucketMs) },
      },
      ConsistentRead: true,
    }),
  );
  return Items.flatMap((item) => item.entries?.SS ?? []).flatMap((entry) => decodeCandidate(entry) ?? []);
}
