import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startSnsStandIn } from "../../local/sns-stand-in.js";
import {
  attemptKey,
  FAULT_MARKER,
  type FaultKind,
  type FaultProxy,
  startFaultProxy,
} from "../../soak/fault-proxy.js";
import { createSeededRandom } from "../../soak/seeded-random.js";
import { createTestTables, localDynamoDb } from "../helpers/test-tables.js";

const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:hookwatch-soak-test";
const only = (kind: FaultKind) => ({ rate: 1, weights: { [kind]: 1 } });

let eventsTable: string;
let dynamoProxy: FaultProxy;
const direct = localDynamoDb();

beforeAll(async () => {
  ({ events: eventsTable } = await createTestTables(direct));
  dynamoProxy = await startFaultProxy({
    service: "dynamodb",
    random: createSeededRandom("proxy-test"),
    mode: { rate: 0, weights: {} },
    slowMs: [50, 60],
  });
  dynamoProxy.forwardTo(inject("dynamodbEndpoint"));
});

afterAll(async () => {
  await dynamoProxy.close();
  direct.destroy();
});

/** A client through the proxy that does not retry, so each fault reaches the caller. */
function throughProxy(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: dynamoProxy.url, maxAttempts: 1 });
}

async function putThroughProxy(key: string): Promise<unknown> {
  const client = throughProxy();
  try {
    await client.send(
      new PutItemCommand({ TableName: eventsTable, Item: { dispatch_id: { S: key }, raw: { S: "{}" } } }),
    );
    return undefined;
  } catch (error) {
    return error;
  } finally {
    client.destroy();
  }
}

async function stored(key: string): Promise<boolean> {
  const { Item } = await direct.send(
    new GetItemCommand({ TableName: eventsTable, Key: { dispatch_id: { S: key } }, ConsistentRead: true }),
  );
  return Item !== undefined;
}

describe("the fault proxy in front of DynamoDB Local", () => {
  it("forwards every request unchanged when the fault rate is 0", async () => {
    dynamoProxy.setMode({ rate: 0, weights: { throttle: 1 } });

    const error = await putThroughProxy("pass-through");

    expect(error).toBeUndefined();
    expect(await stored("pass-through")).toBe(true);
  });

  it("answers a throttle as DynamoDB does, without forwarding", async () => {
    dynamoProxy.setMode(only("throttle"));
    const before = dynamoProxy.stats().injected.throttle;

    const error = (await putThroughProxy("throttled")) as Error;

    expect(error.name).toBe("ProvisionedThroughputExceededException");
    expect(error.message).toContain(FAULT_MARKER);
    expect(await stored("throttled")).toBe(false);
    expect(dynamoProxy.stats().injected.throttle).toBe(before + 1);
  });

  it("answers a 500 InternalServerError without forwarding", async () => {
    dynamoProxy.setMode(only("server-error"));

    const error = (await putThroughProxy("server-error")) as Error & {
      $metadata?: { httpStatusCode?: number };
    };

    expect(error.name).toBe("InternalServerError");
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(await stored("server-error")).toBe(false);
  });

  it("drops the connection before forwarding: the client sees a reset and nothing is written", async () => {
    dynamoProxy.setMode(only("drop-before"));

    const error = (await putThroughProxy("dropped-before")) as NodeJS.ErrnoException;

    expect(error.code).toBe("ECONNRESET");
    expect(await stored("dropped-before")).toBe(false);
  });

  it("drops the connection after forwarding: the client sees a reset but the write happened", async () => {
    dynamoProxy.setMode(only("drop-after"));

    const error = (await putThroughProxy("dropped-after")) as NodeJS.ErrnoException;

    expect(error.code).toBe("ECONNRESET");
    expect(await stored("dropped-after")).toBe(true);
  });

  it("answers slowly but correctly", async () => {
    dynamoProxy.setMode(only("slow"));
    const before = dynamoProxy.stats().injected.slow;

    const error = await putThroughProxy("slow");

    expect(error).toBeUndefined();
    expect(await stored("slow")).toBe(true);
    expect(dynamoProxy.stats().injected.slow).toBe(before + 1);
  });
});

describe("the fault proxy in front of the SNS stand-in", () => {
  const published: string[] = [];
  let snsProxy: FaultProxy;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const standIn = await startSnsStandIn({
      topicArns: [TOPIC_ARN],
      onPublish: (record) => {
        published.push(typeof record.Message === "string" ? record.Message : "");
      },
    });
    snsProxy = await startFaultProxy({
      service: "sns",
      random: createSeededRandom("sns-proxy-test"),
      mode: { rate: 0, weights: {} },
    });
    snsProxy.forwardTo(standIn.endpoint);
    stop = async () => {
      await snsProxy.close();
      await standIn.close();
    };
  });

  afterAll(async () => stop());

  async function publish(message: string): Promise<unknown> {
    const client = new SNSClient({ endpoint: snsProxy.url, maxAttempts: 1 });
    try {
      await client.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: message }));
      return undefined;
    } catch (error) {
      return error;
    } finally {
      client.destroy();
    }
  }

  it("answers a throttle in the query protocol, which the SNS client reads as Throttling", async () => {
    snsProxy.setMode(only("throttle"));

    const error = (await publish("throttled")) as Error;

    expect(error.name).toBe("Throttling");
    expect(error.message).toContain(FAULT_MARKER);
    expect(published).not.toContain("throttled");
  });

  it("delivers a publish whose answer it then drops: the page is out, the client sees an error", async () => {
    snsProxy.setMode(only("drop-after"));

    const error = (await publish("delivered")) as NodeJS.ErrnoException;

    expect(error.code).toBe("ECONNRESET");
    expect(published).toContain("delivered");
  });

  it("passes a publish through when the fault rate is 0", async () => {
    snsProxy.setMode({ rate: 0, weights: {} });

    const error = await publish("passed");

    expect(error).toBeUndefined();
    expect(published).toContain("passed");
  });
});

describe("the fault proxy's own capacity and its timing of each attempt", () => {
  /** A service that holds each answer `holdMs` and counts how many requests it held at once. */
  async function slowService(holdMs: number) {
    let inFlight = 0;
    let peak = 0;
    const server = createServer((request, response) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      request.resume();
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}");
      }, holdMs);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, peak: () => peak, close: () => server.close() };
  }

  const post = (url: string, agent: Agent, headers: Record<string, string> = {}) =>
    new Promise<void>((resolve, reject) => {
      const request = httpRequest(
        `${url}/`,
        { method: "POST", agent, headers: { "x-amz-target": "DynamoDB_20120810.Query", ...headers } },
        (response) => response.resume().on("end", resolve),
      );
      request.on("error", reject);
      request.end("{}");
    });

  it("adds no socket limit of its own: 60 requests at once reach the service at once", async () => {
    const service = await slowService(2_000);
    const proxy = await startFaultProxy({
      service: "dynamodb",
      random: createSeededRandom("capacity"),
      mode: { rate: 0, weights: {} },
    });
    proxy.forwardTo(service.url);
    const agent = new Agent({ keepAlive: true, maxSockets: 60 });
    try {
      await Promise.all(Array.from({ length: 60 }, () => post(proxy.url, agent)));

      expect(service.peak()).toBe(60);
    } finally {
      agent.destroy();
      await proxy.close();
      service.close();
    }
  });

  it("times each SDK attempt by its retry headers: arrival, the service's own time, the answer's departure", async () => {
    const service = await slowService(1_200);
    const proxy = await startFaultProxy({
      service: "dynamodb",
      random: createSeededRandom("slowness"),
      mode: { rate: 0, weights: {} },
    });
    proxy.forwardTo(service.url);
    const agent = new Agent({ keepAlive: true });
    const from = Date.now();
    try {
      await post(proxy.url, agent, {
        "amz-sdk-invocation-id": "invocation-1",
        "amz-sdk-request": "attempt=2; max=3",
      });
      const to = Date.now();

      const seen = proxy.attempt("invocation-1 2");
      expect(seen?.receivedAt).toBeGreaterThanOrEqual(from);
      expect(seen?.serviceMs).toBeGreaterThanOrEqual(1_150);
      expect(seen?.answeredAt).toBeGreaterThanOrEqual((seen?.receivedAt ?? 0) + 1_150);
      expect(seen?.answeredAt).toBeLessThanOrEqual(to);
      expect(seen?.fault).toBeUndefined();
      expect(proxy.attempt("invocation-1 1")).toBeUndefined();
      expect(proxy.stats().slowestUpstreamMs).toBeGreaterThanOrEqual(1_150);
    } finally {
      agent.destroy();
      await proxy.close();
      service.close();
    }
  });

  it("knows an SDK attempt by the key the client's own middleware reads from the same headers", async () => {
    const client = throughProxy();
    const keys: (string | undefined)[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        keys.push(attemptKey((args.request as { headers: Record<string, string> }).headers));
        return next(args);
      },
      { step: "deserialize", name: "testAttemptKey" },
    );
    try {
      await client.send(
        new GetItemCommand({ TableName: eventsTable, Key: { dispatch_id: { S: "no-such-event" } } }),
      );

      expect(keys).toEqual([expect.stringMatching(/^[0-9a-f-]{36} 1$/)]);
      const seen = dynamoProxy.attempt(keys[0] ?? "");
      expect(seen?.forwardedAt).toBeGreaterThanOrEqual(seen?.receivedAt ?? Number.POSITIVE_INFINITY);
      expect(seen?.answeredAt).toBeGreaterThanOrEqual(seen?.forwardedAt ?? Number.POSITIVE_INFINITY);
    } finally {
      client.destroy();
    }
  });
});
