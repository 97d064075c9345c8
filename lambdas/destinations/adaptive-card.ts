/**
 * The part of the Adaptive Card schema a hookwatch card uses, and how a Teams Workflows webhook wants it
 * wrapped. Text that holds webhook data goes into `TextRun`s, which the schema renders without Markdown
 * ("Markdown is not supported"), so a reason or an app id can never become a link or formatting; `TextBlock`
 * (Markdown) carries only hookwatch's own labels.
 */

/** Every element used exists in schema 1.2 (RichTextBlock and TextRun came in 1.2); Teams renders it. */
export const ADAPTIVE_CARD_VERSION = "1.2";
export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

// Teams' message size limit is "approximately 28 KB" (the Teams connector's known limitations); counted here
// as 28,000 bytes of the UTF-8 request body, wrapper included.
export const TEAMS_MAX_BODY_BYTES = 28_000;

export type TextColor = "Default" | "Attention" | "Warning" | "Good" | "Accent";
export type ContainerStyle = "attention" | "warning" | "good" | "accent";

export interface TextRun {
  readonly type: "TextRun";
  readonly text: string;
  readonly weight?: "Bolder";
  readonly size?: "Small" | "Medium" | "Large";
  readonly color?: TextColor;
  readonly isSubtle?: boolean;
  readonly fontType?: "Monospace";
}

export type CardElement =
  | {
      readonly type: "TextBlock";
      readonly text: string;
      readonly weight?: "Bolder";
      readonly wrap: true;
      readonly spacing?: "Medium";
    }
  | { readonly type: "RichTextBlock"; readonly inlines: readonly TextRun[]; readonly spacing?: Spacing }
  | {
      readonly type: "Container";
      readonly style: ContainerStyle;
      readonly items: readonly CardElement[];
    }
  | { readonly type: "ColumnSet"; readonly columns: readonly Column[]; readonly spacing?: Spacing };

export type Spacing = "None" | "Small";

export interface Column {
  readonly type: "Column";
  readonly width: "auto" | "stretch" | string;
  readonly items: readonly CardElement[];
}

export interface OpenUrlAction {
  readonly type: "Action.OpenUrl";
  readonly title: string;
  readonly url: string;
}

export interface AdaptiveCard {
  readonly type: "AdaptiveCard";
  readonly $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  readonly version: string;
  readonly body: readonly CardElement[];
  readonly actions?: readonly OpenUrlAction[];
  /** Teams: use the whole width of the conversation. */
  readonly msteams: { readonly width: "Full" };
}

/** What a Workflows "When a Teams webhook request is received" trigger takes: a message with card attachments. */
export interface TeamsWebhookMessage {
  readonly type: "message";
  readonly attachments: readonly {
    readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
    readonly contentUrl: null;
    readonly content: AdaptiveCard;
  }[];
}

/** A paragraph of plain text: no Markdown, whatever it holds. */
export function plainParagraph(
  text: string,
  style: Omit<TextRun, "type" | "text"> = {},
  spacing?: Spacing,
): CardElement {
  return {
    type: "RichTextBlock",
    inlines: [{ type: "TextRun", text, ...style }],
    ...(spacing ? { spacing } : {}),
  };
}

/** hookwatch's own label (Markdown, but nothing in it is Markdown). */
export function heading(text: string): CardElement {
  return { type: "TextBlock", text, weight: "Bolder", wrap: true, spacing: "Medium" };
}
