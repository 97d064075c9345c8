import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/local-aws.js";
import type { LocalDelivery } from "../../local/local-destinations.js";
import { type LocalPipeline, startLocalPipeline } from "../../local/local-pipeline.js";
import type { PagerDutyStandIn, StandInIncident } from "../../local/pagerduty-stand-in.js";
import { loadOrCreatePreludeSigner, type PreludeSigner } from "../../local/prelude-signer.js";
import { buildScenario } from "../../local/send-samples.js";
import type { SlackStandIn } from "../../local/slack-stand-in.js";
import type { TeamsStandIn } from "../../local/teams-stand-in.js";
import type { WebhookReceiver } from "../../local/webhook-receiver.js";

const APP_ID = "app_local";
// One app per test: each burst is its own group, so no test waits on another's burst to resolve.
const APPS = [
  APP_ID,
  "app_retry",
  "app_outage",
  "app_refused",
  "app_gone",
  "app_chat",
  "app_chat_down",
  "app_chat_gone",
];
const DEADLINE_MS = 120_000;
// A burst, its retries and its resolve take seconds alone and minutes on a loaded machine: polled, never timed.
const TEST_TIMEOUT_MS = 240_000;

let root: string;
let pipeline: LocalPipeline | undefined;
let signer: PreludeSigner;
let sqs: SQSClient;
const lines: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hookwatch-delivery-e2e-"));
  pipeline = await startLocalPipeline({
    root,
    port: 0,
    appIds: APPS,
    // Quiet after 6 s (the sample's failures span 5 s), so recovery resolves a burst soon after its last failure; retries come back after 1 s.
    context: { migrationQuietSeconds: "6" },
    visibilityTimeoutSeconds: 1,
    recoveryIntervalSeconds: 1,
    logLevel: "SILENT",
    log: (line) => lines.push(line),
    printPage: () => {},
  });
  signer = await loadOrCreatePreludeSigner(join(root, ".local"));
  sqs = new SQSClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: pipeline.state.sqsEndpoint,
  });
}, 120_000);

afterAll(async () => {
  try {
    await pipeline?.stop();
  } finally {
    sqs?.destroy();
    await rm(root, { recursive: true, force: true });
  }
});

// A test that failed mid-outage must not leave its misbehaviour queued for the next one.
afterEach(() => {
  pipeline?.destinations.pagerDuty?.recover();
  pipeline?.destinations.webhookReceiver?.recover();
});

async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}; pipeline said:\n${lines.slice(-30).join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function running(): LocalPipeline {
  if (pipeline === undefined) throw new Error("the pipeline did not start");
  return pipeline;
}

function pagerDuty(): PagerDutyStandIn {
  const standIn = running().destinations.pagerDuty;
  if (standIn === undefined) throw new Error("no PagerDuty stand-in");
  return standIn;
}

function receiver(): WebhookReceiver {
  const standIn = running().destinations.webhookReceiver;
  if (standIn === undefined) throw new Error("no webhook receiver");
  return standIn;
}

function slack(): SlackStandIn {
  const standIn = running().destinations.slack;
  if (standIn === undefined) throw new Error("no Slack stand-in");
  return standIn;
}

function teams(): TeamsStandIn {
  const standIn = running().destinations.teams;
  if (standIn === undefined) throw new Error("no Teams stand-in");
  return standIn;
}

/** The title a chat shows: Slack's header block, the first text run of a Teams card. */
/** The titles of the Slack messages about one app's bursts: every test bursts an app of its own. */
function slackTitles(appId: string): string[] {
  return slack()
    .posts.map((post) => String((post.blocks[0]?.text as { text?: string } | undefined)?.text))
    .filter((title) => title.endsWith(`for app ${appId}`));
}

function teamsTitles(appId: string): string[] {
  return teams()
    .posts.map((post) => JSON.stringify(post.cards[0]?.body))
    .map((body) => /"text":"([^"]*)"/.exec(body)?.[1] ?? "")
    .filter((title) => title.endsWith(`for app ${appId}`));
}

function delivery(type: string): LocalDelivery {
  const found = running().destinations.deliveries.find((d) => d.destination.type === type);
  if (found === undefined) throw new Error(`no ${type} delivery`);
  return found;
}

/** Posts the `npm run send -- burst` sample; answers its HTTP status. */
async function sendBurst(appId = APP_ID): Promise<number> {
  const [request] = buildScenario("burst", { appId, signer });
  if (request === undefined) throw new Error("no burst sample");
  const response = await fetch(running().state.webhookUrl, {
    method: request.method,
    headers: request.headers,
    body: request.body ?? "",
  });
  return response.status;
}

/** Waits for recovery to resolve every open burst (so the next burst opens a new one). */
async function resolvedIncident(dedupKey: string): Promise<StandInIncident> {
  return eventually(`the resolve of ${dedupKey}`, () =>
    pagerDuty().incidents.find(
      (incident) => incident.dedupKey === dedupKey && incident.status === "resolved",
    ),
  );
}

async function deadLetters(queueUrl: string) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ["All"],
      VisibilityTimeout: 0,
    }),
  );
  return Messages;
}

describe("delivering pages from the webhook POST to the destinations' stand-ins", {
  timeout: TEST_TIMEOUT_MS,
}, () => {
  it("opens one PagerDuty incident for a burst and closes it with the resolve; the webhook receiver verifies both", async () => {
    expect(await sendBurst()).toBe(200);

    const opened = await eventually("a PagerDuty incident", () => pagerDuty().incidents[0]);
    expect(opened.summary).toMatch(/^migration hook failing for app app_local: 6 transport failures/);
    const resolved = await resolvedIncident(opened.dedupKey);

    expect(pagerDuty().incidents).toHaveLength(1);
    expect(resolved.triggers).toBe(1);
    const trigger = pagerDuty().accepted.find((event) => event.event.event_action === "trigger");
    expect(trigger?.event).toMatchObject({
      dedup_key: opened.dedupKey,
      client: "hookwatch",
      payload: { source: "hookwatch/app_local/migration", component: "migration", group: APP_ID },
    });
    const received = await eventually("the signed resolve at the webhook receiver", () =>
      receiver().received.some((r) => r.body.event_action === "resolve") ? receiver().received : undefined,
    );
    expect(received.map((r) => [r.body.event_action, r.body.dedup_key])).toEqual([
      ["trigger", opened.dedupKey],
      ["resolve", opened.dedupKey],
    ]);
    expect(receiver().refused).toEqual([]);
    expect(lines.some((line) => line.includes(`incident #1 OPENED`))).toBe(true);
  });

  it("retries PagerDuty's 429 (Retry-After) and 500 and still opens exactly one incident", async () => {
    const before = pagerDuty().incidents.length;
    pagerDuty().misbehave({ status: 429, retryAfterSeconds: 1 });
    pagerDuty().misbehave({ status: 500, times: 2 });

    expect(await sendBurst("app_retry")).toBe(200);

    const incident = await eventually("the incident after the retries", () => pagerDuty().incidents[before]);
    await resolvedIncident(incident.dedupKey);
    expect(pagerDuty().incidents.filter((i) => i.dedupKey === incident.dedupKey)).toHaveLength(1);
    expect(lines.filter((line) => line.includes("PagerDuty stand-in: answered"))).toHaveLength(3);
  });

  it("keeps delivering to the webhook while PagerDuty is down, and PagerDuty gets the page once it is back", async () => {
    const before = pagerDuty().incidents.length;
    const receivedBefore = receiver().received.length;
    pagerDuty().misbehave({ status: 503, times: 1_000_000 });

    expect(await sendBurst("app_outage")).toBe(200);

    const trigger = await eventually("the webhook trigger during the PagerDuty outage", () =>
      receiver()
        .received.slice(receivedBefore)
        .find((r) => r.body.event_action === "trigger"),
    );
    expect(pagerDuty().incidents).toHaveLength(before);
    pagerDuty().recover();
    const incident = await eventually(
      "the incident after PagerDuty recovered",
      () => pagerDuty().incidents[before],
    );
    expect(incident.dedupKey).toBe(trigger.body.dedup_key);
    await resolvedIncident(incident.dedupKey);
  });

  it("dead-letters a page PagerDuty refuses with 400, with its answer, and opens no incident", async () => {
    const before = pagerDuty().incidents.length;
    const receivedBefore = receiver().received.length;
    pagerDuty().misbehave({ status: 400 });

    expect(await sendBurst("app_refused")).toBe(200);

    const [letter] = await eventually("the dead-lettered trigger", async () => {
      const messages = await deadLetters(delivery("pagerduty").deadLetterQueueUrl);
      return messages.length > 0 ? messages : undefined;
    });
    expect(letter?.MessageAttributes?.destination_status?.StringValue).toBe("400");
    expect(letter?.MessageAttributes?.delivery_error?.StringValue).toContain(
      "Refused on demand by the stand-in",
    );
    expect(JSON.parse(letter?.Body ?? "{}")).toMatchObject({ event_action: "trigger" });
    // The resolve of that burst reaches PagerDuty, which drops it: there was no open incident.
    const trigger = await eventually("the webhook's trigger", () =>
      receiver()
        .received.slice(receivedBefore)
        .find((r) => r.body.event_action === "trigger"),
    );
    await eventually("the dropped resolve", () =>
      lines.find((line) =>
        line.includes(`resolve dropped, no open incident for dedup_key ${String(trigger.body.dedup_key)}`),
      ),
    );
    expect(pagerDuty().incidents).toHaveLength(before);
  });

  it("dead-letters a page the webhook receiver refuses for good (410 Gone)", async () => {
    receiver().misbehave({ status: 410 });

    expect(await sendBurst("app_gone")).toBe(200);

    const [letter] = await eventually("the webhook's dead letter", async () => {
      const messages = await deadLetters(delivery("webhook").deadLetterQueueUrl);
      return messages.length > 0 ? messages : undefined;
    });
    expect(letter?.MessageAttributes?.destination_status?.StringValue).toBe("410");
    expect(letter?.MessageAttributes?.destination?.StringValue).toBe("webhook");
  });

  it("posts a burst's trigger and its resolve to Slack and to Teams, each checked against the vendor's limits", async () => {
    expect(await sendBurst("app_chat")).toBe(200);

    await eventually("the Slack resolve", () => (slackTitles("app_chat").length >= 2 ? true : undefined));
    await eventually("the Teams resolve", () => (teamsTitles("app_chat").length >= 2 ? true : undefined));
    // On a busy machine the burst may be detected after it went quiet: a delayed page, which is as good here.
    const [slackTrigger, slackResolve] = slackTitles("app_chat");
    const [teamsTrigger, teamsResolve] = teamsTitles("app_chat");
    expect(slackTrigger).toMatch(
      /^(:red_circle: migration hook failing|:large_orange_circle: Delayed page: migration hook failed) for app app_chat$/,
    );
    expect(slackResolve).toBe(":white_check_mark: Resolved: migration hook for app app_chat");
    expect(teamsTrigger).toMatch(
      /^(migration hook failing|Delayed page: migration hook failed) for app app_chat$/,
    );
    expect(teamsResolve).toBe("Resolved: migration hook for app app_chat");
    expect(lines.some((line) => line.startsWith("Slack stand-in: posted a message to webhook"))).toBe(true);
    expect(lines.some((line) => line.startsWith("Teams stand-in: posted a card to workflow"))).toBe(true);
  }, 120_000);

  it("retries Slack's 429 while Teams is down, and Teams gets the page once it is back; a removed Slack webhook dead-letters", async () => {
    slack().misbehave({ status: 429, retryAfterSeconds: 1 });
    teams().misbehave({ status: 503, times: 1_000_000 });

    expect(await sendBurst("app_chat_down")).toBe(200);

    await eventually("the Slack trigger after the 429", () => slackTitles("app_chat_down")[0]);
    expect(teamsTitles("app_chat_down")).toEqual([]);
    teams().recover();
    await eventually("the Teams trigger after the outage", () => teamsTitles("app_chat_down")[0]);
    await eventually("both resolves", () =>
      slackTitles("app_chat_down").length >= 2 && teamsTitles("app_chat_down").length >= 2 ? true : undefined,
    );

    slack().misbehave({ status: 404, times: 2 });
    expect(await sendBurst("app_chat_gone")).toBe(200);
    const [letter] = await eventually("the Slack dead letter", async () => {
      const messages = await deadLetters(delivery("slack").deadLetterQueueUrl);
      return messages.length > 0 ? messages : undefined;
    });
    expect(letter?.MessageAttributes?.destination_status?.StringValue).toBe("404");
    expect(letter?.MessageAttributes?.delivery_error?.StringValue).toContain("no_service");
  }, 180_000);
});
