import type { Hook } from "../runtime/hooks.js";
import { type Silence, silenceCovers } from "./silence-record.js";
import { listSilences, type SilenceTable } from "./silence-store.js";

/** The silences as one invocation sees them: read once, on first need, then judged against each "now". */
export interface SilenceLookup {
  /** The silence holding pages of this app and hook at `atMs`; of several, the one that ends last. */
  active(appId: string, hook: Hook, atMs: number): Promise<Silence | undefined>;
  /** A silence by id, as stored now (its end moves when it is ended early). */
  find(id: string): Promise<Silence | undefined>;
  /** The latest-ending silence of this app and hook that held pages at some time from `fromMs` to `toMs`. */
  overlapping(appId: string, hook: Hook, fromMs: number, toMs: number): Promise<Silence | undefined>;
}

/**
 * A lookup for one invocation (the processor's batch, one recovery run). Nothing is read until a page is
 * about to go out, so a hook that is not failing costs no read. A silence ended during the invocation is
 * seen by the next one.
 */
export function createSilenceLookup(table: SilenceTable): SilenceLookup {
  let silences: Promise<Silence[]> | undefined;
  const all = () => {
    silences ??= listSilences(table).catch((error: unknown) => {
      silences = undefined;
      throw error;
    });
    return silences;
  };
  const latestEnding = (found: Silence[]) =>
    found.reduce<Silence | undefined>(
      (best, s) => (best === undefined || s.endsAtMs > best.endsAtMs ? s : best),
      undefined,
    );
  return {
    async active(appId, hook, atMs) {
      return latestEnding((await all()).filter((silence) => silenceCovers(silence, appId, hook, atMs)));
    },
    async find(id) {
      return (await all()).find((silence) => silence.id === id);
    },
    async overlapping(appId, hook, fromMs, toMs) {
      return latestEnding(
        (await all()).filter(
          (silence) =>
            silenceCovers(silence, appId, hook, Math.max(fromMs, silence.startsAtMs)) &&
            silence.startsAtMs <= toMs,
        ),
      );
    },
  };
}
