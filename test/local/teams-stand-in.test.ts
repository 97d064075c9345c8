import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_TEAMS_WORKFLOW, startTeamsStandIn, type TeamsStandIn } from "../../local/teams-stand-in.js";

let standIn: TeamsStandIn;
const logged: string[] = [];

beforeAll(async () => {
  standIn = await startTeamsStandIn({ log: (line) => logged.push(line) });
});

afterAll(async () => {
  await standIn.close();
});

function card(overrides: Record<string, unknown> = {}) {
  return {
    type: "AdaptiveCard",
    version: "1.2",
    body: [{ type: "TextBlock", text: "hello", wrap: true }],
    ...overrides,
  };
}

function message(content: unknown = card()) {
  return {
    type: "message",
    attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content }],
  };
}

function send(body: unknown, url = standIn.workflowUrl()) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const { error } = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...error };
}

describe("the Teams Workflows webhook stand-in", () => {
  it("answers 202 Accepted to a message with an Adaptive Card, keeps the card and says so", async () => {
    const before = standIn.posts.length;

    const response = await send(message());

    expect(response.status).toBe(202);
    expect(standIn.posts.slice(before)).toEqual([
      expect.objectContaining({ workflow: LOCAL_TEAMS_WORKFLOW, cards: [card()] }),
    ]);
    expect(logged.at(-1)).toBe(`Teams stand-in: posted a card to workflow ${LOCAL_TEAMS_WORKFLOW}`);
  });

  it("answers 404 for a workflow that does not exist", async () => {
    expect(await errorOf(await send(message(), standIn.workflowUrl("deleted")))).toMatchObject({
      status: 404,
      code: "WorkflowNotFound",
    });
  });

  it("refuses with 400 what would fail the flow run: no attachments, a wrong type, a card that is not one", async () => {
    const cases: [unknown, string][] = [
      ["not json", "not a JSON object"],
      [{ text: "connector style" }, "'type' must be 'message'"],
      [{ type: "message" }, "'attachments' must be a non-empty array"],
      [
        {
          type: "message",
          attachments: [{ contentType: "application/vnd.microsoft.card.hero", content: card() }],
        },
        "contentType must be application/vnd.microsoft.card.adaptive",
      ],
      [message({ ...card(), type: "MessageCard" }), "Property 'type' must be 'AdaptiveCard'"],
      [message(card({ version: "1.6" })), "version 1.6"],
      [message(card({ body: [{ type: "Marquee" }] })), "unknown element type Marquee"],
      [message(card({ body: [{ type: "RichTextBlock", inlines: [{ type: "Link" }] }] })), "TextRun"],
      [
        message(card({ actions: [{ type: "Action.Submit", title: "Ack" }] })),
        "Action.Submit is not supported",
      ],
      [
        message(card({ actions: [{ type: "Action.OpenUrl", title: "x", url: "javascript:1" }] })),
        "http(s) URL",
      ],
    ];

    for (const [body, reason] of cases) {
      const refused = await errorOf(await send(body));

      expect(refused.status, reason).toBe(400);
      expect(refused.message).toContain(reason);
    }
  });

  it("answers 413 to a message over Teams' 28 KB", async () => {
    const big = message(card({ body: [{ type: "TextBlock", text: "x".repeat(29 * 1024), wrap: true }] }));

    const refused = await errorOf(await send(big));

    expect(refused).toMatchObject({ status: 413, code: "RequestEntityTooLarge" });
  });

  it("answers 429 with Retry-After, 503 and 400 on demand, then accepts again", async () => {
    standIn.misbehave({ status: 429, retryAfterSeconds: 3 });
    standIn.misbehave({ status: 503 });
    standIn.misbehave({ status: 400 });

    const throttled = await send(message());
    const down = await send(message());
    const refused = await send(message());
    const fine = await send(message());

    expect(throttled.headers.get("retry-after")).toBe("3");
    expect(await errorOf(throttled)).toMatchObject({ status: 429, code: "TooManyRequests" });
    expect(await errorOf(down)).toMatchObject({ status: 503, code: "ServiceUnavailable" });
    expect(await errorOf(refused)).toMatchObject({ status: 400, code: "InvalidRequestContent" });
    expect(fine.status).toBe(202);
  });
});
