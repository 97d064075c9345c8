import type { PageDocument } from "../pages/page-document.js";
import { type ChatPage, type ChatTone, readChatPage } from "./chat-page.js";
import type { DeliveryRequest } from "./delivery-request.js";
import {
  codeSections,
  codeSpan,
  escapeMrkdwn,
  mrkdwn,
  plainText,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from "./slack-block-kit.js";

/**
 * A page as a Slack message, posted to an incoming webhook (Block Kit). An incoming webhook answers `ok` and
 * nothing else (no message timestamp), so a resolve cannot be posted in the trigger's thread: it names the
 * page it closes (same title, dedup key and first failure) instead.
 */

const TONE_EMOJI: Record<ChatTone, string> = {
  live: ":red_circle:",
  delayed: ":large_orange_circle:",
  resolved: ":white_check_mark:",
  test: ":large_blue_circle:",
};

export function buildSlackRequest(page: PageDocument, webhookUrl: string): DeliveryRequest {
  return {
    url: webhookUrl,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(buildSlackMessage(page)),
  };
}

export function buildSlackMessage(page: PageDocument): SlackMessage {
  const chat = readChatPage(page);
  return { text: escapeMrkdwn(chat.summary), blocks: buildBlocks(chat) };
}

function buildBlocks(chat: ChatPage): SlackBlock[] {
  return [
    {
      type: "header",
      text: plainText(cutPlainText(`${TONE_EMOJI[chat.tone]} ${chat.title}`, SLACK_LIMITS.headerText)),
    },
    { type: "section", text: mrkdwn(escapeMrkdwn(chat.opening.join(" "))) },
    { type: "section", fields: chat.facts.map(({ label, value, verbatim }) => fact(label, value, verbatim)) },
    ...codeSections(`*${chat.countsTitle}*`, chat.countRows),
    ...meaningsBlock(chat),
    ...checkFirstBlock(chat),
    ...codeSections(`*${chat.commandsTitle}*`, chat.commands),
    ...runbookBlock(chat),
    { type: "context", elements: [mrkdwn(escapeMrkdwn(chat.footer))] },
  ];
}

function fact(label: string, value: string, verbatim: boolean) {
  return mrkdwn(`*${label}*\n${verbatim ? codeSpan(value) : escapeMrkdwn(value)}`);
}

function meaningsBlock(chat: ChatPage): SlackBlock[] {
  if (chat.reasonMeanings.length === 0) return [];
  return [{ type: "context", elements: chat.reasonMeanings.map((line) => mrkdwn(escapeMrkdwn(line))) }];
}

function checkFirstBlock(chat: ChatPage): SlackBlock[] {
  if (chat.checkFirst.length === 0) return [];
  const steps = chat.checkFirst.map((step, index) => `${index + 1}. ${escapeMrkdwn(step)}`);
  return [{ type: "section", text: mrkdwn(["*Check first*", ...steps].join("\n")) }];
}

function runbookBlock(chat: ChatPage): SlackBlock[] {
  if (chat.runbookUrl === undefined) return [];
  return [
    {
      type: "actions",
      elements: [
        { type: "button", text: plainText("Open the runbook"), url: chat.runbookUrl, action_id: "runbook" },
      ],
    },
  ];
}

/**
 * Cut to `max` UTF-16 units (the stricter reading of Slack's "characters"), whole code points, with an
 * ellipsis; for plain text only (cut mrkdwn could lose a closing mark).
 */
function cutPlainText(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = "";
  for (const point of text) {
    if (kept.length + point.length > max - 1) break;
    kept += point;
  }
  return `${kept}…`;
}
