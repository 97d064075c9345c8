import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    setupFiles: ["test/helpers/aws-environment.ts"],
    pool: "forks",
    // Generous: a stack synth bundles every function with esbuild, which on a busy 2-core machine
    // took 47 s where an idle one takes 9 s. Speed is measured by the bench, not by these limits.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
