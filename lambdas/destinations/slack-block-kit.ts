/**
 * The part of Slack's Block Kit a hookwatch message uses, its documented limits, and the escaping that keeps
 * webhook data from turning into mentions, links or formatting.
 */

export interface TextObject {
  readonly type: "plain_text" | "mrkdwn";
  readonly text: string;
  readonly emoji?: boolean;
}

export type SlackBlock =
  | { readonly type: "header"; readonly text: TextObject }
  | { readonly type: "section"; readonly text?: TextObject; readonly fields?: readonly TextObject[] }
  | { readonly type: "context"; readonly elements: readonly TextObject[] }
  | { readonly type: "actions"; readonly elements: readonly SlackButton[] }
  | { readonly type: "divider" };

export interface SlackButton {
  readonly type: "button";
  readonly text: TextObject;
  readonly url: string;
  readonly action_id: string;
}

export interface SlackMessage {
  /** Shown in notifications and where blocks cannot be shown. */
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

// Block Kit reference: at most 50 blocks per message; header text 150 characters; section text 3,000; section
// fields at most 10 of 2,000 each; context at most 10 elements; button text 75 and its URL 3,000 characters.
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonUrl: 3000,
  // Slack truncates a message's `text` past 40,000 characters.
  messageText: 40_000,
  // Not documented: chat.postMessage answers msg_blocks_too_long near 13,000 characters of block text in all
  // (slackapi/bolt-js#2509), so a message stays under 12,000.
  allBlocksText: 12_000,
} as const;

/** Slack reads `&`, `<` and `>` as control characters in mrkdwn (`<!channel>`, `<url|label>`): escaped, always. */
export function escapeMrkdwn(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

// A backtick would end the code span or block early; U+02CB looks the same and ends nothing.
function codeSafe(value: string): string {
  return escapeMrkdwn(value.replaceAll("`", "\u02cb"));
}

/** Inline code: webhook values shown verbatim, never formatted. */
export function codeSpan(value: string): string {
  return `\`${codeSafe(value)}\``;
}

export function codeBlock(lines: readonly string[]): string {
  return `\`\`\`${lines.map(codeSafe).join("\n")}\`\`\``;
}

export function mrkdwn(text: string): TextObject {
  return { type: "mrkdwn", text };
}

export function plainText(text: string): TextObject {
  return { type: "plain_text", text, emoji: true };
}

/**
 * A titled code block as sections that each fit a section's 3,000 characters: long tables (20 reasons of
 * 48 characters, every `&` escaped to five) continue in the next section rather than being cut.
 */
export function codeSections(title: string, lines: readonly string[]): SlackBlock[] {
  const sections: SlackBlock[] = [];
  let chunk: string[] = [];
  const head = () => (sections.length === 0 ? `${title}\n` : "");
  for (const line of lines) {
    if (chunk.length > 0 && (head() + codeBlock([...chunk, line])).length > SLACK_LIMITS.sectionText) {
      sections.push({ type: "section", text: mrkdwn(head() + codeBlock(chunk)) });
      chunk = [];
    }
    chunk.push(line);
  }
  if (chunk.length > 0 || sections.length === 0) {
    sections.push({ type: "section", text: mrkdwn(head() + codeBlock(chunk)) });
  }
  return sections;
}

/** The length Slack counts for a message's blocks: every text they carry. */
export function blocksTextLength(blocks: readonly SlackBlock[]): number {
  const texts = blocks.flatMap((block): readonly TextObject[] => {
    switch (block.type) {
      case "header":
        return [block.text];
      case "section":
        return [...(block.text ? [block.text] : []), ...(block.fields ?? [])];
      case "context":
        return block.elements;
      case "actions":
        return block.elements.map((button) => button.text);
      default:
        return [];
    }
  });
  return texts.reduce((sum, text) => sum + text.text.length, 0);
}
