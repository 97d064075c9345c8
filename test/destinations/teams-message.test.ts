import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdaptiveCard, TEAMS_MAX_BODY_BYTES } from "../../lambdas/destinations/adaptive-card.js";
import { buildTeamsMessage, buildTeamsRequest } from "../../lambdas/destinations/teams-message.js";
import type { PageDocument } from "../../lambdas/pages/page-document.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { CHECK_FIRST_STEPS } from "../../lambdas/pages/page-guidance.js";
import { HOOKS } from "../../lambdas/runtime/hooks.js";
import { startTeamsStandIn, type TeamsStandIn } from "../../local/teams-stand-in.js";
import { buildTriggerPage } from "../helpers/burst-page-factory.js";
import {
  delayedDocument,
  HOSTILE_TEXT,
  rawHostileDocument,
  resolveDocument,
  triggerDocument,
} from "../helpers/chat-documents.js";

const WORKFLOW = "hookwatch-oncall";

let standIn: TeamsStandIn;

beforeAll(async () => {
  standIn = await startTeamsStandIn({ workflows: [WORKFLOW] });
});

afterAll(async () => {
  await standIn.close();
});

function cardOf(document: PageDocument): AdaptiveCard {
  const [attachment] = buildTeamsMessage(document).attachments;
  if (!attachment) throw new Error("no attachment");
  return attachment.content;
}

interface Found {
  readonly markdown: string[];
  readonly plain: string[];
}

/** Every text of a card: Markdown ones (TextBlock) apart from plain ones (TextRun). */
function textsOf(value: unknown, found: Found = { markdown: [], plain: [] }): Found {
  if (Array.isArray(value)) for (const item of value) textsOf(item, found);
  else if (value !== null && typeof value === "object") {
    const element = value as Record<string, unknown>;
    if (element.type === "TextBlock") found.markdown.push(String(element.text));
    if (element.type === "TextRun") found.plain.push(String(element.text));
    for (const child of Object.values(element)) textsOf(child, found);
  }
  return found;
}

async function post(document: PageDocument): Promise<Response> {
  const request = buildTeamsRequest(document, standIn.workflowUrl(WORKFLOW));
  return fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
}

describe("a Teams trigger", () => {
  it("is a message with one Adaptive Card attachment, as a Workflows webhook takes it", () => {
    const message = buildTeamsMessage(triggerDocument());

    expect(message.type).toBe("message");
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({
      contentType: "application/vnd.microsoft.card.adaptive",
      contentUrl: null,
      content: { type: "AdaptiveCard", version: "1.2", msteams: { width: "Full" } },
    });
  });

  it("opens with a red banner naming the hook and the app, then what fails for whom", () => {
    const card = cardOf(triggerDocument());

    expect(card.body[0]).toEqual({
      type: "Container",
      style: "attention",
      items: [
        {
          type: "RichTextBlock",
          inlines: [
            {
              type: "TextRun",
              text: "step-up hook failing for app 54e9ujn",
              weight: "Bolder",
              size: "Large",
              color: "Attention",
            },
          ],
        },
      ],
    });
    expect(textsOf(card.body[1]).plain).toEqual([
      "12 transport failures within 60s: Prelude's calls to the hook fail.",
    ]);
  });

  it("carries the facts, the counts by reason, what to check first and the command, in that order", () => {
    const { plain, markdown } = textsOf(cardOf(triggerDocument()));

    expect(markdown).toEqual([
      "Failures in the window, by reason",
      "Check first",
      "List the stored events of this burst",
    ]);
    expect(plain).toEqual(
      expect.arrayContaining([
        "App",
        "54e9ujn",
        "12 transport in 60s (threshold 5 in 60s)",
        "hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z",
        "    request_failed                     9".replaceAll(" ", "\u00a0"),
        ...CHECK_FIRST_STEPS.map((step, index) => `${index + 1}. ${step}`),
        "npx hookwatch events --hook step-up --app 54e9ujn --since 2026-11-21T09:14:03.512Z",
        "npx hookwatch bursts --open",
      ]),
    );
    expect(plain.indexOf("App")).toBeLessThan(
      plain.indexOf("1. The hook URL answers within 5 s and returns 2xx, from outside your network."),
    );
  });

  it("opens the runbook from an action when the page carries one", () => {
    expect(cardOf(triggerDocument({ runbook_url: "https://runbooks.example.com/step-up" })).actions).toEqual([
      { type: "Action.OpenUrl", title: "Open the runbook", url: "https://runbooks.example.com/step-up" },
    ]);
    expect(cardOf(triggerDocument()).actions).toBeUndefined();
    expect(cardOf(triggerDocument({ runbook_url: "file:///etc/passwd" })).actions).toBeUndefined();
  });

  it("shows a delayed page in a warning banner", () => {
    const card = cardOf(delayedDocument());

    expect(card.body[0]).toMatchObject({ type: "Container", style: "warning" });
    expect(textsOf(card.body[0]).plain).toEqual(["Delayed page: step-up hook failed for app 54e9ujn"]);
  });
});

describe("a Teams resolve", () => {
  it("shows a green banner that says resolved and names the page it closes", () => {
    const card = cardOf(resolveDocument());
    const { plain, markdown } = textsOf(card);

    expect(card.body[0]).toMatchObject({ type: "Container", style: "good" });
    expect(plain[0]).toBe("Resolved: step-up hook for app 54e9ujn");
    expect(plain).toContain(
      "It resolves the page posted for this burst, failing since 2026-11-21T09:14:03.512Z, under the same dedup key.",
    );
    expect(markdown).toEqual([
      "Totals by reason over the whole burst",
      "List the stored events of this burst",
    ]);
  });
});

describe("Teams escaping", () => {
  it("puts webhook data only in text runs, which render no Markdown", () => {
    const document = triggerDocument({
      app_id: HOSTILE_TEXT,
      counts_by_reason: { [HOSTILE_TEXT]: 3, request_failed: 9 },
    });

    const { markdown, plain } = textsOf(cardOf(document));

    for (const text of markdown) expect(text).not.toContain("evil.example");
    expect(plain).toContain(HOSTILE_TEXT.replace("\u202e", "?"));
  });
});

describe("Teams limits", () => {
  it("keeps a hand-made hostile document under 28 KB, and the Workflows stand-in takes it", async () => {
    for (const action of ["trigger", "resolve"] as const) {
      const document = rawHostileDocument(action);

      const request = buildTeamsRequest(document, "https://example.invalid");
      const response = await post(document);

      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(TEAMS_MAX_BODY_BYTES);
      expect(response.status, await response.text()).toBe(202);
    }
  });

  it("keeps any page under 28 KB: any app id, reasons and runbook", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 600 }),
        fc.dictionary(fc.string({ unit: "binary", maxLength: 120 }), fc.nat({ max: 1_000_000 }), {
          maxKeys: 60,
        }),
        fc.constantFrom(...HOOKS),
        fc.constantFrom("trigger", "resolve"),
        fc.boolean(),
        fc.option(fc.webUrl({ withQueryParameters: true }), { nil: undefined }),
        (appId, countsByReason, hook, action, delayed, runbook) => {
          const page = buildTriggerPage({ appId, countsByReason, hook, action, delayed });
          const document = { ...formatPage(page).document, ...(runbook ? { runbook_url: runbook } : {}) };

          const { body } = buildTeamsRequest(document, "https://example.invalid");

          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(TEAMS_MAX_BODY_BYTES);
        },
      ),
    );
  });

  it("is accepted by the Workflows stand-in for a trigger, a delayed trigger and a resolve", async () => {
    const before = standIn.posts.length;

    for (const document of [
      triggerDocument({ runbook_url: "https://runbooks.example.com" }),
      delayedDocument(),
      resolveDocument(),
    ]) {
      const response = await post(document);
      expect(response.status, await response.text()).toBe(202);
    }

    expect(standIn.posts.slice(before).map((received) => received.workflow)).toEqual([
      WORKFLOW,
      WORKFLOW,
      WORKFLOW,
    ]);
    expect(standIn.posts[before]?.cards[0]).toMatchObject({
      type: "AdaptiveCard",
      actions: [{ type: "Action.OpenUrl" }],
    });
  });
});
