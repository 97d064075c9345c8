import type { CommandLine } from "../command-line.js";
import { EXIT_CODE, UsageError } from "../errors.js";
import { excerpt, formatTable, plural } from "../format.js";
import { type DeadLetter, peekDeadLetters, readQueueDepth, redriveDeadLetters } from "../queues.js";
import { formatAgo, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, suggest } from "./context.js";

const BODY_EXCERPT_LENGTH = 60;

/** A dead-letter queue and the queue its messages go back to. */
interface QueuePair {
  readonly deadLetterQueueUrl: string;
  queueUrl(): Promise<string>;
  /** "the webhook queue", "the delivery queue of oncall". */
  readonly queueLabel: string;
}

/**
 * `dlq` peeks at the dead-letter queue; `dlq redrive` moves its messages back to the webhook queue. With
 * `--destination NAME`, the same for a delivery destination's dead-letter queue and queue.
 */
export async function runDlq(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const pair = chooseQueues(context, line);
  return line.redrive ? redrive(context, line, pair) : peek(context, line, pair);
}

function chooseQueues(context: CommandContext, line: CommandLine): QueuePair {
  const { resources } = context;
  if (line.destination === undefined) {
    return {
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      queueUrl: () => resources.queueUrl(),
      queueLabel: "the webhook queue",
    };
  }
  const delivery = resources.deliveries.find((candidate) => candidate.name === line.destination);
  if (delivery === undefined) {
    const known = resources.deliveries.map((candidate) => candidate.name);
    throw new UsageError(
      `${resources.origin} has no destination "${line.destination}" (${known.length === 0 ? "no destination is configured" : `its destinations: ${known.join(", ")}`})`,
    );
  }
  return {
    deadLetterQueueUrl: delivery.deadLetterQueueUrl,
    queueUrl: () => delivery.queueUrl(),
    queueLabel: `the delivery queue of ${delivery.name}`,
  };
}

async function peek(context: CommandContext, line: CommandLine, pair: QueuePair): Promise<CommandOutput> {
  const { sqs } = context.resources;
  const { deadLetterQueueUrl } = pair;
  const depth = await readQueueDepth(sqs, deadLetterQueueUrl);
  const messages = await peekDeadLetters(sqs, deadLetterQueueUrl, line.limit, context.progress);
  const json = { queue_url: deadLetterQueueUrl, depth, messages };
  if (messages.length === 0 && depth.waiting + depth.in_flight === 0) {
    return { text: "The dead-letter queue is empty.", json };
  }
  const header = `Dead-letter queue: ${plural(depth.waiting, "message")} waiting, ${depth.in_flight} in flight (${deadLetterQueueUrl})`;
  if (messages.length === 0) {
    return {
      text: `${header}\nNo message could be received: they are in flight (being peeked or moved); try again shortly.`,
      json,
    };
  }
  const table = formatTable(
    [
      { heading: "RECEIVED", value: (message: DeadLetter) => formatTime(arrival(message)) },
      { heading: "AGO", value: (message) => formatAgo(arrival(message), context.nowMs), align: "right" },
      { heading: "RECEIVES", value: (message) => String(message.receive_count ?? ""), align: "right" },
      { heading: "REQUEST_ID", value: (message) => message.request_id ?? "" },
      { heading: "APP", value: (message) => message.app_id ?? "", optional: true },
      {
        heading: "EVENTS",
        value: (message) => String(message.event_count ?? ""),
        align: "right",
        optional: true,
      },
      { heading: "SIGNED", value: (message) => (message.has_signature ? "yes" : "no") },
      {
        heading: "ERROR",
        value: (message) => excerpt(message.delivery_error ?? "", BODY_EXCERPT_LENGTH),
        optional: true,
      },
      { heading: "BYTES", value: (message) => String(message.body_bytes), align: "right" },
      { heading: "BODY", value: (message) => excerpt(message.body, BODY_EXCERPT_LENGTH) },
    ],
    messages,
  );
  const notes = [
    `${messages.length === depth.waiting ? "All" : `${messages.length} of ~${depth.waiting}`} shown; peeking leaves them in the queue (SQS counts it as a receive). Whole bodies: --json.`,
    `Once the cause is fixed, move them back to ${pair.queueLabel}: ${suggest(context.resources, redriveCommand(line))}`,
  ];
  return { text: `${header}\n\n${table}\n\n${notes.join("\n")}`, json };
}

/** When the POST arrived (its ReceivedAt attribute), else when SQS first accepted it. */
const arrival = (message: DeadLetter) => Date.parse(message.received_at ?? message.sent_at ?? "");

const redriveCommand = (line: CommandLine) =>
  `dlq redrive${line.destination === undefined ? "" : ` --destination ${line.destination}`}`;

async function redrive(context: CommandContext, line: CommandLine, pair: QueuePair): Promise<CommandOutput> {
  const { sqs } = context.resources;
  const { deadLetterQueueUrl } = pair;
  const queueUrl = await pair.queueUrl();
  const before = await readQueueDepth(sqs, deadLetterQueueUrl);
  if (before.waiting === 0) {
    return {
      text: "The dead-letter queue is empty: nothing to redrive.",
      json: { redrive: null, dead_letter_queue: before, queue: await readQueueDepth(sqs, queueUrl) },
    };
  }
  if (!line.yes) {
    if (context.confirm === undefined) {
      throw new UsageError(
        "`dlq redrive` asks before moving messages: pass --yes when not running in a terminal",
      );
    }
    const question = `Move ${plural(before.waiting, "message")} from the dead-letter queue back to ${pair.queueLabel} (${queueUrl})? [y/N] `;
    if (!(await context.confirm(question))) {
      return { text: "Nothing moved.", json: { redrive: null }, exitCode: EXIT_CODE.failed };
    }
  }
  const outcome = await redriveDeadLetters(sqs, { deadLetterQueueUrl, queueUrl, progress: context.progress });
  const [deadLetterQueue, queue] = await Promise.all([
    readQueueDepth(sqs, deadLetterQueueUrl),
    readQueueDepth(sqs, queueUrl),
  ]);
  const json = { redrive: outcome, dead_letter_queue: deadLetterQueue, queue };
  const depths = `Now: dead-letter queue ${deadLetterQueue.waiting} waiting; ${pair.queueLabel.replace(/^the /, "")} ${queue.waiting} waiting, ${queue.in_flight} in flight.`;
  if (outcome.status !== "COMPLETED") {
    return {
      text: `The SQS message-move task ended ${outcome.status} after moving ${outcome.moved} of ~${outcome.to_move}: ${outcome.failure_reason ?? "no reason given"}.\n${depths}`,
      json,
      exitCode: EXIT_CODE.failed,
    };
  }
  return {
    text: `Moved ${plural(outcome.moved, "message")} from the dead-letter queue back to ${pair.queueLabel} (SQS message-move task ${outcome.status}).\n${depths}\n${line.destination === undefined ? "The processor" : "The delivery function"} retries them now; watch \`${suggest(context.resources, line.destination === undefined ? "status" : `dlq --destination ${line.destination}`)}\`.`,
    json,
  };
}
