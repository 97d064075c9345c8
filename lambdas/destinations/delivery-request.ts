/** One HTTP request to a destination: what a destination's message builder returns and the sender posts. */
export interface DeliveryRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}
