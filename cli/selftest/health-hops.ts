import { DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { readTables, suggest } from "../commands/context.js";
import { plural } from "../format.js";
import { listIntakeRecords } from "../queries.js";
import { readQueueDepth } from "../queues.js";
import { failed, type HopResult, notVerifiable, verified } from "./hop-result.js";
import { PROBE_KEY_ID_PREFIX } from "./probe-request.js";
import type { SelftestTarget, StackAccess } from "./selftest-target.js";

export const HEALTH_HOPS = {
  queues: "queues: webhook, delivery and dead-letter depth",
  alarms: "alarms: every alarm of the stack OK",
} as const;

/**
 * The one alarm the self-test raises, by construct path (`infra/operations-alarms.ts`): its probes are
 * rejected on purpose. (Its wrong-token GET does not raise Api4xx, which counts refused POSTs only.)
 */
const MESSAGES_REJECTED_PATH = /^AlarmsMessagesRejected[0-9A-F]{8}$/;
/** The alarm counts five-minute periods: what happened this long before its last change is what it saw. */
const ALARM_LOOKBACK_MS = 10 * 60_000;

/**
 * The webhook queue's backlog and each delivery destination's, and whether anything sits in a dead-letter
 * queue: webhook POSTs whose events are not stored, or pages a destination never took.
 */
export async function checkQueueDepth(target: SelftestTarget): Promise<HopResult> {
  const { resources } = target;
  const [queue, deadLetters, deliveries] = await Promise.all([
    resources.queueUrl().then((url) => readQueueDepth(resources.sqs, url)),
    readQueueDepth(resources.sqs, resources.deadLetterQueueUrl),
    Promise.all(
      resources.deliveries.map(async (delivery) => ({
        name: delivery.name,
        queue: await readQueueDepth(resources.sqs, await delivery.queueUrl()),
        deadLetters: await readQueueDepth(resources.sqs, delivery.deadLetterQueueUrl),
      })),
    ),
  ]);
  const depths = [
    `webhook queue ${queue.waiting} waiting, ${queue.in_flight} in flight`,
    ...deliveries.map(
      (delivery) =>
        `${delivery.name} ${delivery.queue.waiting} waiting, ${delivery.queue.in_flight} in flight`,
    ),
  ].join(", ");
  const problems: string[] = [];
  const fixes: string[] = [];
  const dead = deadLetters.waiting + deadLetters.in_flight;
  if (dead > 0) {
    problems.push(`the dead-letter queue holds ${plural(dead, "webhook POST")} whose events are not stored`);
    fixes.push(
      `see why with \`${suggest(resources, "dlq")}\`, fix the cause, then \`${suggest(resources, "dlq redrive")}\``,
    );
  }
  for (const delivery of deliveries) {
    const pages = delivery.deadLetters.waiting + delivery.deadLetters.in_flight;
    if (pages === 0) continue;
    const dlq = `dlq --destination ${delivery.name}`;
    problems.push(`${delivery.name}'s dead-letter queue holds ${plural(pages, "page")} it never took`);
    fixes.push(
      `see ${delivery.name}'s answers with \`${suggest(resources, dlq)}\`, fix it, then \`${suggest(resources, `dlq redrive --destination ${delivery.name}`)}\``,
    );
  }
  if (problems.length > 0) {
    return failed(HEALTH_HOPS.queues, `${depths}; ${problems.join("; ")}`, fixes.join("; "));
  }
  const empty =
    resources.deliveries.length === 0 ? "the dead-letter queue is empty" : "every dead-letter queue is empty";
  return verified(HEALTH_HOPS.queues, `${depths}; ${empty}`);
}

/** How an alarm in ALARM is read: the self-test's own doing, or a real problem. */
type Firing = { kind: "own"; note: string } | { kind: "real" };

/**
 * Every CloudWatch alarm of the stack, by state. An alarm in ALARM fails the hop with its own description,
 * unless an earlier self-test raised it: MessagesRejected, when every record rejected around it is a probe.
 */
export async function checkAlarms(target: SelftestTarget, nowMs: number): Promise<HopResult> {
  const hop = HEALTH_HOPS.alarms;
  const { stack } = target;
  if (stack === undefined) return notVerifiable(hop, "the local pipeline has no CloudWatch alarms");
  const alarmResources = (await stack.listResources()).filter(
    (resource) => resource.ResourceType === "AWS::CloudWatch::Alarm",
  );
  if (alarmResources.length === 0) {
    return failed(hop, `stack ${stack.stackName} has no CloudWatch alarms`, "deploy the current version");
  }
  const alarms = await describeAlarms(
    stack,
    alarmResources.map((resource) => resource.PhysicalResourceId ?? ""),
  );
  const logicalIdOf = (alarm: MetricAlarm) =>
    alarmResources.find((resource) => resource.PhysicalResourceId === alarm.AlarmName)?.LogicalResourceId ??
    "";
  const firing: MetricAlarm[] = [];
  const notes: string[] = [];
  for (const alarm of alarms.filter((candidate) => candidate.StateValue === "ALARM")) {
    const reading = await readFiring(target, alarm, logicalIdOf(alarm), nowMs);
    if (reading.kind === "real") firing.push(alarm);
    else notes.push(reading.note);
  }
  if (firing.length > 0) {
    return failed(
      hop,
      `${firing.length} of ${alarms.length} in ALARM: ${firing.map((alarm) => alarm.AlarmName).join(", ")}`,
      firing.map((alarm) => alarm.AlarmDescription ?? `see ${alarm.AlarmName}`).join(" | "),
    );
  }
  const waiting = alarms.filter((alarm) => alarm.StateValue === "INSUFFICIENT_DATA");
  const note = notes.map((text) => `; ${text}`).join("");
  if (waiting.length > 0) {
    return notVerifiable(
      hop,
      `${waiting.length} of ${alarms.length} have no data yet (INSUFFICIENT_DATA, as after a deploy): ${waiting.map((alarm) => alarm.AlarmName).join(", ")}; run again in a few minutes${note}`,
    );
  }
  return verified(hop, `${alarms.length} alarms, none in ALARM${note}`);
}

async function readFiring(
  target: SelftestTarget,
  alarm: MetricAlarm,
  logicalId: string,
  nowMs: number,
): Promise<Firing> {
  if (!MESSAGES_REJECTED_PATH.test(logicalId)) return { kind: "real" };
  const rejected = await rejectedAround(target, alarm, nowMs);
  const probes = rejected.filter((row) => row.reason.includes(PROBE_KEY_ID_PREFIX));
  if (probes.length === 0 || probes.length < rejected.length) return { kind: "real" };
  return {
    kind: "own",
    note: `${alarm.AlarmName} is in ALARM from an earlier selftest's probes only (OK again within about 10 minutes)`,
  };
}

/** The records rejected from shortly before the alarm's last change until now. */
async function rejectedAround(target: SelftestTarget, alarm: MetricAlarm, nowMs: number) {
  const changedMs = alarm.StateUpdatedTimestamp?.getTime() ?? nowMs;
  return listIntakeRecords(readTables(target.resources), "rejected", {
    sinceMs: changedMs - ALARM_LOOKBACK_MS,
    nowMs,
    limit: 1000,
  });
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
