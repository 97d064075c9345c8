import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_SLACK_WEBHOOK, type SlackStandIn, startSlackStandIn } from "../../local/slack-stand-in.js";

let standIn: SlackStandIn;
const logged: string[] = [];

beforeAll(async () => {
  standIn = await startSlackStandIn({ log: (line) => logged.push(line) });
});

afterAll(async () => {
  await standIn.close();
});

function send(message: unknown, url = standIn.webhookUrl(), contentType = "application/json") {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof message === "string" ? message : JSON.stringify(message),
  });
}

async function answerOf(response: Response): Promise<{ status: number; body: string }> {
  return { status: response.status, body: await response.text() };
}

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

describe("the Slack incoming-webhook stand-in", () => {
  it("answers ok to a text message, keeps it and says so in the terminal", async () => {
    const before = standIn.posts.length;

    const answer = await answerOf(await send({ text: "hello" }));

    expect(answer).toEqual({ status: 200, body: "ok" });
    expect(standIn.posts.slice(before)).toEqual([
      expect.objectContaining({ webhook: LOCAL_SLACK_WEBHOOK, text: "hello", blocks: [] }),
    ]);
    expect(logged.at(-1)).toBe(`Slack stand-in: posted a message to webhook ${LOCAL_SLACK_WEBHOOK}`);
  });

  it("answers 404 no_service for a webhook that does not exist", async () => {
    expect(await answerOf(await send({ text: "hi" }, standIn.webhookUrl("T0001/B0001/revoked")))).toEqual({
      status: 404,
      body: "no_service",
    });
  });

  it("answers 400 invalid_payload to a body that is not JSON", async () => {
    expect(await answerOf(await send("text=hello", undefined, "application/x-www-form-urlencoded"))).toEqual({
      status: 400,
      body: "invalid_payload",
    });
    expect(await answerOf(await send("{"))).toEqual({ status: 400, body: "invalid_payload" });
  });

  it("answers 400 no_text to a message with neither text nor blocks", async () => {
    expect(await answerOf(await send({ username: "hookwatch" }))).toEqual({ status: 400, body: "no_text" });
  });

  it("refuses blocks over Block Kit's limits with invalid_blocks and says which", async () => {
    const cases: [unknown, string][] = [
      [Array.from({ length: 51 }, () => ({ type: "divider" })), "51 blocks"],
      [[section("x".repeat(3001))], "blocks[0].text.text has 3001 characters"],
      [
        [{ type: "header", text: { type: "mrkdwn", text: "*bold*" } }],
        "blocks[0].text.type must be plain_text",
      ],
      [[{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }], "more than 150"],
      [
        [{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) }],
        "fields must hold 1 to 10",
      ],
      [[{ type: "section", fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] }], "more than 2000"],
      [
        [{ type: "context", elements: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "c" })) }],
        "over 10",
      ],
      [
        [
          {
            type: "actions",
            elements: [
              { type: "button", text: { type: "plain_text", text: "b".repeat(76) }, url: "https://x" },
            ],
          },
        ],
        "more than 75",
      ],
      [[{ type: "table" }], "unknown type table"],
    ];

    for (const [blocks, reason] of cases) {
      const response = await send({ text: "fallback", blocks });

      expect(await answerOf(response), reason).toEqual({ status: 400, body: "invalid_blocks" });
      expect(response.headers.get("x-stand-in-reason")).toContain(reason);
    }
  });

  it("accepts blocks at the limits", async () => {
    const blocks = [
      { type: "header", text: { type: "plain_text", text: "h".repeat(150) } },
      section("x".repeat(3000)),
      ...Array.from({ length: 48 }, () => ({ type: "divider" })),
    ];

    expect((await send({ text: "fallback", blocks })).status).toBe(200);
  });

  it("answers 429 rate_limited with Retry-After, then 500 rollup_error, on demand, then handles requests again", async () => {
    standIn.misbehave({ status: 429, retryAfterSeconds: 7 });
    standIn.misbehave({ status: 500 });

    const throttled = await send({ text: "1" });
    const down = await send({ text: "2" });
    const fine = await send({ text: "3" });

    expect(throttled.headers.get("retry-after")).toBe("7");
    expect(await answerOf(throttled)).toEqual({ status: 429, body: "rate_limited" });
    expect(await answerOf(down)).toEqual({ status: 500, body: "rollup_error" });
    expect(fine.status).toBe(200);
  });

  it("takes a misbehaviour from outside the process, for npm start, and forgets it on recover", async () => {
    const queued = await fetch(`${standIn.webhookUrl().replace(/\/services\/.*$/, "")}/stand-in/misbehave`, {
      method: "POST",
      body: JSON.stringify({ status: 400, times: 2 }),
    });

    const refused = await send({ text: "valid" });
    standIn.recover();
    const fine = await send({ text: "valid" });

    expect(queued.status).toBe(200);
    expect(await answerOf(refused)).toEqual({ status: 400, body: "invalid_payload" });
    expect(fine.status).toBe(200);
  });
});
