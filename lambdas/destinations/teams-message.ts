import type { PageDocument } from "../pages/page-document.js";
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  ADAPTIVE_CARD_VERSION,
  type AdaptiveCard,
  type CardElement,
  type ContainerStyle,
  heading,
  plainParagraph,
  type TeamsWebhookMessage,
  type TextColor,
} from "./adaptive-card.js";
import { type ChatFact, type ChatPage, type ChatTone, readChatPage } from "./chat-page.js";
import type { DeliveryRequest } from "./delivery-request.js";

/**
 * A page as an Adaptive Card, posted to a Teams Workflows webhook ("When a Teams webhook request is
 * received", which replaced the retired Office 365 connectors' incoming webhooks). The trigger only answers
 * 202 Accepted, so, as in Slack, a resolve cannot reply to its trigger: it names the page it closes.
 */

const TONE_STYLE: Record<ChatTone, { readonly container: ContainerStyle; readonly color: TextColor }> = {
  live: { container: "attention", color: "Attention" },
  delayed: { container: "warning", color: "Warning" },
  resolved: { container: "good", color: "Good" },
  test: { container: "accent", color: "Accent" },
};

export function buildTeamsRequest(page: PageDocument, workflowUrl: string): DeliveryRequest {
  return {
    url: workflowUrl,
    // Without a charset the service was seen to count the body as UTF-16, halving the 28 KB limit.
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(buildTeamsMessage(page)),
  };
}

export function buildTeamsMessage(page: PageDocument): TeamsWebhookMessage {
  return {
    type: "message",
    attachments: [
      { contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: buildCard(readChatPage(page)) },
    ],
  };
}

function buildCard(chat: ChatPage): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: ADAPTIVE_CARD_VERSION,
    body: [
      titleBanner(chat),
      ...chat.opening.map((sentence) => plainParagraph(sentence)),
      ...chat.facts.map(factRow),
      heading(chat.countsTitle),
      ...monospaceLines(chat.countRows.map(keepAlignment)),
      ...chat.reasonMeanings.map((line) => plainParagraph(line, { size: "Small", isSubtle: true }, "None")),
      ...checkFirst(chat),
      heading(chat.commandsTitle),
      ...monospaceLines(chat.commands),
      plainParagraph(chat.footer, { size: "Small", isSubtle: true }),
    ],
    ...(chat.runbookUrl === undefined
      ? {}
      : { actions: [{ type: "Action.OpenUrl", title: "Open the runbook", url: chat.runbookUrl }] }),
    msteams: { width: "Full" },
  };
}

function titleBanner(chat: ChatPage): CardElement {
  const style = TONE_STYLE[chat.tone];
  return {
    type: "Container",
    style: style.container,
    items: [plainParagraph(chat.title, { weight: "Bolder", size: "Large", color: style.color })],
  };
}

/** A fact as a two-column row; a FactSet would render its values as Markdown. */
function factRow(fact: ChatFact): CardElement {
  return {
    type: "ColumnSet",
    spacing: "None",
    columns: [
      { type: "Column", width: "110px", items: [plainParagraph(fact.label, { weight: "Bolder" })] },
      {
        type: "Column",
        width: "stretch",
        items: [plainParagraph(fact.value, fact.verbatim ? { fontType: "Monospace" } : {})],
      },
    ],
  };
}

/** One paragraph per line: a line break inside a text run is not reliably rendered. */
function monospaceLines(lines: readonly string[]): CardElement[] {
  return lines.map((line) => plainParagraph(line, { fontType: "Monospace" }, "None"));
}

/** HTML renderers collapse runs of spaces; no-break spaces keep the table's columns. Never for commands. */
function keepAlignment(row: string): string {
  return row.replaceAll(" ", "\u00a0");
}

function checkFirst(chat: ChatPage): CardElement[] {
  if (chat.checkFirst.length === 0) return [];
  return [
    heading("Check first"),
    ...chat.checkFirst.map((step, index) => plainParagraph(`${index + 1}. ${step}`, {}, "None")),
  ];
}
