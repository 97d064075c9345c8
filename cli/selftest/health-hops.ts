import { DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { readTables, suggest } from "../commands/context.js";
import { listIntakeRecords } from "../queries.js";
import { readQueueDepth } from "../queues.js";
import { failed, type HopResult, notVerifiable, verified } from "./hop-result.js";
import { PROBE_KEY_ID_PREFIX } from "./probe-request.js";
import type { SelftestTarget, StackAccess } from "./selftest-target.js";

export const HEALTH_HOPS = {
  queues: "queues: webhook and dead-letter depth",
  alarms: "alarms: every alarm of the stack OK",
} as const;

/** The MessagesRejected alarm's construct path (`infra/operations-alarms.ts`): the probes themselves raise it. */
const MESSAGES_REJECTED_PATH = /^AlarmsMessagesRejected[0-9A-F]{8}$/;
/** Its period is five minutes: records this long before its last change are what it counted. */
const REJECTED_LOOKBACK_MS = 10 * 60_000;

/** The webhook queue's backlog, and whether anything sits in the dead-letter queue. */
export async function checkQueueDepth(target: SelftestTarget): Promise<HopResult> {
  const { resources } = target;
  const [queue, deadLetters] = await Promise.all([
    resources.queueUrl().then((url) => readQueueDepth(resources.sqs, url)),
    readQueueDepth(resources.sqs, resources.deadLetterQueueUrl),
  ]);
  const webhook = `webhook queue ${queue.waiting} waiting, ${queue.in_flight} in flight`;
  const dead = deadLetters.waiting + deadLetters.in_flight;
  if (dead > 0) {
    return failed(
      HEALTH_HOPS.queues,
      `${webhook}; the dead-letter queue holds ${dead} webhook POSTs whose events are not stored`,
      `see why with \`${suggest(resources, "dlq")}\`, fix the cause, then \`${suggest(resources, "dlq redrive")}\``,
    );
  }
  return verified(HEALTH_HOPS.queues, `${webhook}; the dead-letter queue is empty`);
}

/** Every CloudWatch alarm of the stack, by state; an alarm in ALARM fails the hop with its own description. */
export async function checkAlarms(target: SelftestTarget, nowMs: number): Promise<HopResult> {
  const hop = HEALTH_HOPS.alarms;
  const { stack } = target;
  if (stack === undefined) return notVerifiable(hop, "the local pipeline has no CloudWatch alarms");
  const resources = await stack.listResources();
  const alarmResources = resources.filter((resource) => resource.ResourceType === "AWS::CloudWatch::Alarm");
  if (alarmResources.length === 0) {
    return failed(hop, `stack ${stack.stackName} has no CloudWatch alarms`, "deploy the current version");
  }
  const alarms = await describeAlarms(
    stack,
    alarmResources.map((resource) => resource.PhysicalResourceId ?? ""),
  );
  const rejectedAlarm = alarmResources.find((resource) =>
    MESSAGES_REJECTED_PATH.test(resource.LogicalResourceId ?? ""),
  );
  const firing: MetricAlarm[] = [];
  let explained: string | undefined;
  for (const alarm of alarms.filter((candidate) => candidate.StateValue === "ALARM")) {
    if (
      alarm.AlarmName === rejectedAlarm?.PhysicalResourceId &&
      (await onlyProbesRejected(target, alarm, nowMs))
    ) {
      explained = `${alarm.AlarmName} is in ALARM from an earlier selftest's probes only (it returns to OK within about 10 minutes)`;
    } else {
      firing.push(alarm);
    }
  }
  if (firing.length > 0) {
    return failed(
      hop,
      `${firing.length} of ${alarms.length} in ALARM: ${firing.map((alarm) => alarm.AlarmName).join(", ")}`,
      firing.map((alarm) => alarm.AlarmDescription ?? `see ${alarm.AlarmName}`).join(" | "),
    );
  }
  const waiting = alarms.filter((alarm) => alarm.StateValue === "INSUFFICIENT_DATA");
  const note = explained === undefined ? "" : `; ${explained}`;
  if (waiting.length > 0) {
    return notVerifiable(
      hop,
      `${waiting.length} of ${alarms.length} have no data yet (INSUFFICIENT_DATA, as after a deploy): ${waiting.map((alarm) => alarm.AlarmName).join(", ")}; run again in a few minutes${note}`,
    );
  }
  return verified(hop, `${alarms.length} alarms, none in ALARM${note}`);
}

async function describeAlarms(stack: StackAccess, names: readonly string[]): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  // DescribeAlarms takes at most 100 names per call.
  for (let start = 0; start < names.length; start += 100) {
    let nextToken: string | undefined;
    do {
      const page = await stack.cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(start, start + 100),
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      alarms.push(...(page.MetricAlarms ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return alarms;
}

/** Whether every record rejected around the alarm's last change is a self-test probe (its key id says so). */
async function onlyProbesRejected(
  target: SelftestTarget,
  alarm: MetricAlarm,
  nowMs: number,
): Promise<boolean> {
  const changedMs = alarm.StateUpdatedTimestamp?.getTime() ?? nowMs;
  const rows = await listIntakeRecords(readTables(target.resources), "rejected", {
    sinceMs: changedMs - REJECTED_LOOKBACK_MS,
    nowMs,
    limit: 1000,
  });
  return rows.length > 0 && rows.every((row) => row.reason.includes(PROBE_KEY_ID_PREFIX));
}
