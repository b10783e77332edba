import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__tests__/**/*.test.ts"],
    // Synthesizing GCP stacks is CPU-bound; two forks match the 2-core machines we run on.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
