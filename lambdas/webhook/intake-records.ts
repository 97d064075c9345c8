import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { expiresAfterDays, toItem, utcDay } from "../runtime/attribute-values.js";
import { sha256Hex } from "./event-validation.js";

/** What hookwatch keeps of input it could not accept, in the state table, listable by day. */
export interface IntakeRecords {
  readonly client: DynamoDBClient;
  readonly stateTableName: string;
  readonly quarantineRetentionDays: number;
  readonly rejectedRetentionDays: number;
}

export interface IntakeSource {
  readonly requestId: string;
  readonly receivedAt: number;
}

/** Quarantined input is kept whole up to this size; beyond it, the start and a hash of the whole. */
export const MAX_QUARANTINED_BYTES = 300_000;

const rangeKey = (source: IntakeSource, suffix: string) =>
  `${new Date(source.receivedAt).toISOString()}#${source.requestId}#${suffix}`;

/**
 * Keeps input that came from Prelude but cannot be stored as an event (not JSON, not a batch,
 * an invalid event), with the reason. The key is fixed by the POST, so an SQS redelivery overwrites
 * the same record instead of adding one.
 */
export async function quarantineInput(
  records: IntakeRecords,
  source: IntakeSource,
  input: { raw: string; reason: string; eventIndex?: number; appId?: string },
): Promise<void> {
  const bytes = Buffer.byteLength(input.raw);
  const truncated = bytes > MAX_QUARANTINED_BYTES;
  await records.client.send(
    new PutItemCommand({
      TableName: records.stateTableName,
      Item: toItem({
        pk: `QUARANTINE#${utcDay(source.receivedAt)}`,
        sk: rangeKey(source, input.eventIndex === undefined ? "body" : `event-${input.eventIndex}`),
        reason: input.reason,
        request_id: source.requestId,
        received_at: new Date(source.receivedAt).toISOString(),
        app_id: input.appId,
        event_index: input.eventIndex,
        raw: truncated ? Buffer.from(input.raw).subarray(0, MAX_QUARANTINED_BYTES).toString() : input.raw,
        raw_bytes: bytes,
        raw_sha256: sha256Hex(input.raw),
        raw_truncated: truncated ? "true" : undefined,
        expires_at: expiresAfterDays(source.receivedAt, records.quarantineRetentionDays),
      }),
    }),
  );
}

/**
 * Records a POST refused as not Prelude's (bad signature, unknown app). Only a hash of the body
 * is kept: it is untrusted input, and the record expires soon.
 */
export async function recordRejected(
  records: IntakeRecords,
  source: IntakeSource,
  rejection: { reason: string; body: string; claimedAppId?: string },
): Promise<void> {
  await records.client.send(
    new PutItemCommand({
      TableName: records.stateTableName,
      Item: toItem({
        pk: `REJECTED#${utcDay(source.receivedAt)}`,
        sk: rangeKey(source, "request"),
        reason: rejection.reason,
        request_id: source.requestId,
        received_at: new Date(source.receivedAt).toISOString(),
        claimed_app_id: rejection.claimedAppId,
        body_sha256: sha256Hex(rejection.body),
        body_bytes: Buffer.byteLength(rejection.body),
        expires_at: expiresAfterDays(source.receivedAt, records.rejectedRetentionDays),
      }),
    }),
  );
}
