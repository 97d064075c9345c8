/** A chat destination's secret that is not a URL to post to: the page is dead-lettered, never retried. */
export class ChatUrlError extends Error {
  override name = "ChatUrlError";
}

/**
 * The URL kept in a Slack or Teams destination's secret, trimmed. The URL itself is never put in the error:
 * it is the secret.
 */
export function readChatUrl(secret: string, what: string): string {
  const url = secret.trim();
  if (!/^https?:\/\/[^\s]+$/.test(url)) {
    throw new ChatUrlError(`the ${what} secret is not an http(s) URL (${url.length} characters)`);
  }
  return url;
}
