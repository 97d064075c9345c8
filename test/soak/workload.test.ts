import { describe, expect, it } from "vitest";
import { createWorkload, type PlannedPost } from "../../soak/workload.js";
import {
  SOAK_TEST_APPS as APPS,
  SOAK_TEST_RULES as RULES,
  SOAK_TEST_START as START,
} from "../helpers/soak-workload.js";

/** Events a poison post carries that no post with another body carries: only its dead letter can store them. */
function ownEvents(poison: PlannedPost, posts: readonly PlannedPost[]): string[] {
  const elsewhere = new Set(
    posts
      .filter((post) => post.kind === "signed" && post.body !== poison.body)
      .flatMap((post) => post.events.map((event) => event.raw)),
  );
  return poison.events
    .filter((event) => event.verdict === "store" && !elsewhere.has(event.raw))
    .map((event) => event.raw);
}

describe("the soak's poison posts", () => {
  it.each(["npm-test", "1", "2", "3", "4", "5"])(
    "carry a valid event no other post ever carries, so the redrive has something to store (seed %s)",
    (seed) => {
      const workload = createWorkload({ seed, appIds: APPS, rules: RULES, startMs: START });
      const posts = [...workload.backlog(130)];
      const poison = workload.poison(
        posts.filter((post) => post.kind === "signed"),
        2,
      );
      expect(poison).toHaveLength(2);
      // Everything sent after the choice: live clusters resend earlier events, background resends whole posts.
      for (let i = 0; i < 40; i++) {
        const live = workload.liveCluster(
          { appId: APPS[i % 2] ?? "app_one", hook: "migration" },
          START + 60_000 * (i + 1),
        );
        if (live) posts.push(...live.posts);
        posts.push(...workload.background(20, START + 60_000 * (i + 1)));
      }

      for (const chosen of poison) expect(ownEvents(chosen, posts), chosen.label).not.toEqual([]);
    },
  );
});
