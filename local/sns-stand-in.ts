import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** One accepted `Publish`, as the topic's subscribers would receive it. */
export interface PublishRecord {
  readonly MessageId: string;
  /** When the stand-in accepted the publish (ISO 8601). */
  readonly ReceivedAt: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly MessageStructure?: string;
  /** With `MessageStructure: "json"`, the message per protocol (`default`, `email`, `sms`, …); else the text. */
  readonly Message: string | Readonly<Record<string, string>>;
  readonly MessageAttributes: Readonly<
    Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>
  >;
}

export interface SnsStandIn {
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface SnsStandInOptions {
  /** The topics that exist; a publish to any other ARN fails as SNS fails it (NotFound). */
  readonly topicArns: readonly string[];
  /** Receives each accepted publish; if it throws, the publish fails with a 500 and the caller retries. */
  readonly onPublish: (record: PublishRecord) => void | Promise<void>;
}

/** SNS Publish rejects a message and attributes over 256 KiB. */
const MAX_PUBLISH_BYTES = 262_144;
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A loopback stand-in for the SNS API, just enough for `PublishCommand` from `@aws-sdk/client-sns`: that
 * client speaks the AWS query protocol (form-encoded POST, XML answer). It checks what SNS checks for a
 * publish (topic, subject, JSON message structure, size), so the local run exercises the real publish path.
 */
export async function startSnsStandIn(options: SnsStandInOptions): Promise<SnsStandIn> {
  const topics = new Set(options.topicArns);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const failure =
        error instanceof SnsError ? error : new SnsError(500, "InternalError", (error as Error).message);
      sendXml(response, failure.status, errorXml(failure));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== "POST") throw new SnsError(405, "InvalidAction", "SNS takes POST requests");
    const form = new URLSearchParams(body);
    const action = form.get("Action");
    if (action !== "Publish") {
      throw new SnsError(
        400,
        "InvalidAction",
        `the local SNS stand-in implements Publish only, not ${action}`,
      );
    }
    const record = readPublish(form, topics);
    await options.onPublish(record);
    sendXml(
      response,
      200,
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${record.MessageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the SNS stand-in has no TCP address");
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readPublish(form: URLSearchParams, topics: ReadonlySet<string>): PublishRecord {
  const invalid = (what: string) => new SnsError(400, "InvalidParameter", `Invalid parameter: ${what}`);
  const topicArn = form.get("TopicArn") ?? form.get("TargetArn");
  if (!topicArn) throw invalid("TopicArn or TargetArn Reason: no value for required parameter");
  if (!topics.has(topicArn)) throw new SnsError(404, "NotFound", "Topic does not exist");

  const text = form.get("Message");
  if (!text) throw invalid("Empty message");
  const subject = form.get("Subject") ?? undefined;
  // SNS: ASCII, starting with a letter, number or punctuation, no line breaks, fewer than 100 characters.
  if (subject !== undefined && !/^[\x21-\x7e][\x20-\x7e]{0,98}$/.test(subject)) throw invalid("Subject");

  const structure = form.get("MessageStructure") ?? undefined;
  let message: PublishRecord["Message"] = text;
  if (structure !== undefined) {
    if (structure !== "json") throw invalid("MessageStructure");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid("Message Structure - JSON message body failed to parse");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw invalid("Message Structure - JSON message body failed to parse");
    }
    const perProtocol = parsed as Record<string, unknown>;
    if (typeof perProtocol.default !== "string") {
      throw invalid("Message Structure - No default entry in JSON message body");
    }
    if (Object.values(perProtocol).some((value) => typeof value !== "string")) {
      throw invalid("Message Structure - every protocol's message must be a string");
    }
    message = perProtocol as Record<string, string>;
  }

  const attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
  let bytes = Buffer.byteLength(text);
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    const name = form.get(`${prefix}.Name`) ?? "";
    const dataType = form.get(`${prefix}.Value.DataType`) ?? "";
    const stringValue = form.get(`${prefix}.Value.StringValue`) ?? undefined;
    const binaryValue = form.get(`${prefix}.Value.BinaryValue`) ?? undefined;
    if (!/^(String|Number|Binary)(\..+)?$/.test(dataType)) {
      throw invalid(`The message attribute '${name}' has an invalid message attribute type`);
    }
    if (!stringValue && !binaryValue) {
      throw invalid(`The message attribute '${name}' must contain non-empty message attribute value`);
    }
    attributes[name] = {
      DataType: dataType,
      ...(stringValue === undefined ? {} : { StringValue: stringValue }),
      ...(binaryValue === undefined ? {} : { BinaryValue: binaryValue }),
    };
    bytes += Buffer.byteLength(name) + Buffer.byteLength(dataType) + Buffer.byteLength(stringValue ?? "");
    bytes += Buffer.byteLength(binaryValue ?? "");
  }
  if (bytes > MAX_PUBLISH_BYTES) throw invalid("Message too long");

  return {
    MessageId: randomUUID(),
    ReceivedAt: new Date().toISOString(),
    TopicArn: topicArn,
    ...(subject === undefined ? {} : { Subject: subject }),
    ...(structure === undefined ? {} : { MessageStructure: structure }),
    Message: message,
    MessageAttributes: attributes,
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function sendXml(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { "content-type": "text/xml" }).end(`<?xml version="1.0"?>\n${xml}`);
}

function errorXml(error: SnsError): string {
  const type = error.status >= 500 ? "Receiver" : "Sender";
  return (
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${error.code}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
