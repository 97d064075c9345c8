import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  blocksTextLength,
  type SlackBlock,
  type TextObject,
} from "../../lambdas/destinations/slack-block-kit.js";
import { buildSlackMessage, buildSlackRequest } from "../../lambdas/destinations/slack-message.js";
import type { PageDocument } from "../../lambdas/pages/page-document.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { CHECK_FIRST_STEPS } from "../../lambdas/pages/page-guidance.js";
import { HOOKS, type Hook } from "../../lambdas/runtime/hooks.js";
import { type SlackStandIn, startSlackStandIn } from "../../local/slack-stand-in.js";
import { buildTriggerPage } from "../helpers/burst-page-factory.js";
import {
  delayedDocument,
  HOSTILE_TEXT,
  rawHostileDocument,
  resolveDocument,
  triggerDocument,
} from "../helpers/chat-documents.js";

const WEBHOOK = "T0001/B0001/hookwatchlocal";

let standIn: SlackStandIn;

beforeAll(async () => {
  standIn = await startSlackStandIn({ webhooks: [WEBHOOK] });
});

afterAll(async () => {
  await standIn.close();
});

/** Every text a person sees in the message, in order. */
function texts(blocks: readonly SlackBlock[]): string[] {
  return blocks
    .flatMap((block): readonly TextObject[] => {
      if (block.type === "header") return [block.text];
      if (block.type === "section") return [...(block.text ? [block.text] : []), ...(block.fields ?? [])];
      if (block.type === "context") return block.elements;
      if (block.type === "actions") return block.elements.map((button) => button.text);
      return [];
    })
    .map((text) => text.text);
}

async function post(document: PageDocument): Promise<Response> {
  const request = buildSlackRequest(document, standIn.webhookUrl(WEBHOOK));
  return fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
}

describe("a Slack trigger", () => {
  it("heads with the hook and the app, and says what fails for whom", () => {
    const { text, blocks } = buildSlackMessage(triggerDocument());

    expect(blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: ":red_circle: step-up hook failing for app 54e9ujn", emoji: true },
    });
    expect(texts(blocks)[1]).toBe(
      "12 transport failures within 60s: Prelude's calls to the hook fail. Prelude calls it to decide on sensitive actions: those actions fail while it is down.",
    );
    expect(text).toBe(triggerDocument().summary);
  });

  it("shows the app, the failures against the threshold, the window and the dedup key as fields", () => {
    const { blocks } = buildSlackMessage(triggerDocument());

    expect(blocks[2]).toEqual({
      type: "section",
      fields: [
        { type: "mrkdwn", text: "*Hook*\nstep-up" },
        { type: "mrkdwn", text: "*App*\n`54e9ujn`" },
        { type: "mrkdwn", text: "*Failures*\n12 transport in 60s (threshold 5 in 60s)" },
        { type: "mrkdwn", text: "*Window*\n2026-11-21T09:14:03.512Z to 2026-11-21T09:14:58.207Z" },
        { type: "mrkdwn", text: "*Opened at*\n2026-11-21T09:14:58.731Z" },
        { type: "mrkdwn", text: "*Dedup key*\n`hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z`" },
      ],
    });
  });

  it("lists the counts by reason as the email does, what to check first and the command to list the events", () => {
    const document = triggerDocument();
    const all = texts(buildSlackMessage(document).blocks).join("\n");

    const emailText = formatPage(buildTriggerPage()).text;
    expect(all).toContain(
      "*Failures in the window, by reason*\n```  Transport (paged)                   12\n    request_failed                     9\n    invalid_status_code                3\n  Response-level (stored, not paged)   2\n    invalid_status                     2```",
    );
    expect(emailText).toContain("    invalid_status_code                3");
    for (const step of CHECK_FIRST_STEPS) expect(all).toContain(step);
    expect(all).toContain(
      "```npx hookwatch events --hook step-up --app 54e9ujn --since 2026-11-21T09:14:03.512Z\nnpx hookwatch bursts --open```",
    );
    expect(all).toContain(
      "request_failed: no answer: DNS failure, connection refused, TLS error, or no answer within 5 s",
    );
  });

  it("links the runbook as a button when the page carries one, and leaves a non-http link out", () => {
    const withRunbook = buildSlackMessage(
      triggerDocument({ runbook_url: "https://runbooks.example.com/step-up" }),
    );
    const withScript = buildSlackMessage(triggerDocument({ runbook_url: "javascript:alert(1)" }));

    expect(withRunbook.blocks).toContainEqual({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Open the runbook", emoji: true },
          url: "https://runbooks.example.com/step-up",
          action_id: "runbook",
        },
      ],
    });
    expect(withScript.blocks.some((block) => block.type === "actions")).toBe(false);
    expect(buildSlackMessage(triggerDocument()).blocks.some((block) => block.type === "actions")).toBe(false);
  });

  it("marks a delayed page and does not point at open bursts", () => {
    const { blocks } = buildSlackMessage(delayedDocument());
    const all = texts(blocks).join("\n");

    expect(texts(blocks)[0]).toBe(":large_orange_circle: Delayed page: step-up hook failed for app 54e9ujn");
    expect(all).toContain("Check whether the hook is failing now before acting on this page.");
    expect(all).toContain("*Detected at*");
    expect(all).not.toContain("bursts --open");
  });
});

describe("a Slack resolve", () => {
  it("says resolved and names the page it closes, since it cannot reply in the trigger's thread", () => {
    const { blocks } = buildSlackMessage(resolveDocument());
    const all = texts(blocks);

    expect(all[0]).toBe(":white_check_mark: Resolved: step-up hook for app 54e9ujn");
    expect(all[1]).toBe(
      "No transport failure has arrived for 60s, so the burst is closed. It resolves the page posted for this burst, failing since 2026-11-21T09:14:03.512Z, under the same dedup key.",
    );
    expect(all).toContain("*Dedup key*\n`hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z`");
    expect(all).toContain("*Lasted*\n12m 37s (first to last transport failure)");
    expect(all.join("\n")).toContain("*Totals by reason over the whole burst*");
    expect(all.join("\n")).not.toContain("Check first");
  });
});

describe("a document from the wire", () => {
  it("still makes a message when it names a hook this version does not know", () => {
    const document = triggerDocument({ hook: "payments" as Hook });

    const all = texts(buildSlackMessage(document).blocks);

    expect(all[0]).toBe(":red_circle: payments hook failing for app 54e9ujn");
    expect(all[1]).toBe("12 transport failures within 60s: Prelude's calls to the hook fail.");
  });
});

describe("a self-test page", () => {
  it("says it is a test and that no hook is failing", () => {
    const document = triggerDocument({ test: true });

    const all = texts(buildSlackMessage(document).blocks);

    expect(all[0]).toBe(
      ":large_blue_circle: TEST page from hookwatch selftest for app 54e9ujn: no action needed",
    );
    expect(all[1]).toContain("No hook is failing");
    expect(all.join("\n")).not.toContain("bursts --open");
  });
});

describe("Slack escaping", () => {
  it("turns webhook data into text: no mention, link or code span can come out of an app id or a reason", () => {
    const document = triggerDocument({
      app_id: HOSTILE_TEXT,
      counts_by_reason: { [HOSTILE_TEXT]: 3, request_failed: 9 },
    });

    const { text, blocks } = buildSlackMessage(document);
    const mrkdwnTexts = [text, ...texts(blocks).slice(1)];

    for (const shown of mrkdwnTexts) {
      expect(shown).not.toMatch(/<[!@#]|<https?:/);
      expect(shown).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(mrkdwnTexts.join("\n")).toContain(
      "*App*\n`&lt;!channel&gt; &amp;amp; [click](https://evil.example) *b* _i_ ˋcˋ",
    );
  });
});

describe("Slack limits", () => {
  it("keeps a hand-made hostile document within Block Kit's limits, and Slack's stand-in takes it", async () => {
    for (const action of ["trigger", "resolve"] as const) {
      const document = rawHostileDocument(action);

      const { text, blocks } = buildSlackMessage(document);
      const response = await post(document);

      expectWithinSlackLimits(text, blocks);
      expect(response.status, response.headers.get("x-stand-in-reason") ?? "").toBe(200);
    }
  });

  it("keeps any page within Block Kit's limits: any app id, reasons and runbook", () => {
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

          const { text, blocks } = buildSlackMessage(document);

          expectWithinSlackLimits(text, blocks);
        },
      ),
    );
  });

  it("is accepted by the Slack stand-in for a trigger, a delayed trigger and a resolve", async () => {
    const before = standIn.posts.length;

    for (const document of [
      triggerDocument({ runbook_url: "https://runbooks.example.com" }),
      delayedDocument(),
      resolveDocument(),
    ]) {
      const response = await post(document);
      expect(response.status, response.headers.get("x-stand-in-reason") ?? "").toBe(200);
      expect(await response.text()).toBe("ok");
    }

    expect(standIn.posts.slice(before).map((received) => received.webhook)).toEqual([
      WEBHOOK,
      WEBHOOK,
      WEBHOOK,
    ]);
    expect(standIn.posts[before + 2]?.blocks[0]).toMatchObject({ type: "header" });
  });
});

function expectWithinSlackLimits(text: string, blocks: readonly SlackBlock[]): void {
  expect(text.length).toBeGreaterThan(0);
  expect(text.length).toBeLessThanOrEqual(40_000);
  expect(blocks.length).toBeLessThanOrEqual(50);
  expect(blocksTextLength(blocks)).toBeLessThanOrEqual(12_000);
  for (const block of blocks) {
    if (block.type === "header") expect(block.text.text.length).toBeLessThanOrEqual(150);
    if (block.type === "section") {
      expect((block.text?.text ?? "").length).toBeLessThanOrEqual(3000);
      expect((block.fields ?? []).length).toBeLessThanOrEqual(10);
      for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
    }
    if (block.type === "context") expect(block.elements.length).toBeLessThanOrEqual(10);
    if (block.type === "actions") {
      for (const button of block.elements) {
        expect(button.text.text.length).toBeLessThanOrEqual(75);
        expect(button.url.length).toBeLessThanOrEqual(3000);
      }
    }
  }
}
