import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseEnv } from "../../../services/common/config.ts";

const shape = {
  SIGNET_LOG_PORT: z.coerce.number().int().min(1).max(65535),
  SIGNET_LOG_LEVEL: z.enum(["debug", "info", "warn"]).default("info"),
  SIGNET_LOG_DATABASE_URL: z.url().optional(),
  SIGNET_LOG_HOSTNAME: z.string().min(1),
  SIGNET_LOG_BATCH: z.coerce.number().int().positive().default(256),
  SIGNET_LOG_FROZEN: z.stringbool().default(false),
  SIGNET_LOG_DB_PASSWORD: z.string().min(12).optional(),
};

const valid = { SIGNET_LOG_PORT: "3000", SIGNET_LOG_HOSTNAME: "log.example.com" };

function problem(env: Record<string, string>): string {
  try {
    parseEnv(shape, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { message } = error as Error;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("environment was accepted");
}

describe("parseEnv", () => {
  it("parses, coerces and applies defaults", () => {
    const config = parseEnv(shape, { ...valid, SIGNET_LOG_FROZEN: "yes", UNRELATED: "x" });
    expect(config).toEqual({
      SIGNET_LOG_PORT: 3000,
      SIGNET_LOG_LEVEL: "info",
      SIGNET_LOG_HOSTNAME: "log.example.com",
      SIGNET_LOG_BATCH: 256,
      SIGNET_LOG_FROZEN: true,
    });
  });

  it("treats an empty variable as unset", () => {
    expect(parseEnv(shape, { ...valid, SIGNET_LOG_BATCH: "", SIGNET_LOG_LEVEL: "" })).toMatchObject({
      SIGNET_LOG_BATCH: 256,
      SIGNET_LOG_LEVEL: "info",
    });
    expect(problem({ ...valid, SIGNET_LOG_PORT: "" })).toBe("SIGNET_LOG_PORT: required but not set");
  });

  it("describes the first problem in one line naming the variable and value", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...valid, SIGNET_LOG_PORT: "abc" }, 'SIGNET_LOG_PORT: expected an integer, got "abc"'],
      [{ ...valid, SIGNET_LOG_PORT: "1.5" }, 'SIGNET_LOG_PORT: expected an integer, got "1.5"'],
      [{ ...valid, SIGNET_LOG_PORT: "0" }, 'SIGNET_LOG_PORT: must be at least 1, got "0"'],
      [{ ...valid, SIGNET_LOG_PORT: "70000" }, 'SIGNET_LOG_PORT: must be at most 65535, got "70000"'],
      [{ ...valid, SIGNET_LOG_BATCH: "-1" }, 'SIGNET_LOG_BATCH: must be greater than 0, got "-1"'],
      [{ ...valid, SIGNET_LOG_BATCH: "many" }, 'SIGNET_LOG_BATCH: expected an integer, got "many"'],
      [
        { ...valid, SIGNET_LOG_LEVEL: "loud" },
        'SIGNET_LOG_LEVEL: expected one of debug, info, warn, got "loud"',
      ],
      [{ ...valid, SIGNET_LOG_DATABASE_URL: "db" }, 'SIGNET_LOG_DATABASE_URL: expected a URL, got "db"'],
      [{ SIGNET_LOG_PORT: "3000" }, "SIGNET_LOG_HOSTNAME: required but not set"],
    ];
    for (const [env, message] of cases) expect(problem(env)).toBe(message);
  });

  it("does not echo the values of secret variables", () => {
    const message = problem({ ...valid, SIGNET_LOG_DB_PASSWORD: "hunter2" });
    expect(message).toBe(
      "SIGNET_LOG_DB_PASSWORD: must be at least 12 characters, got a value not shown here",
    );
  });

  it("reads process.env by default", () => {
    expect(() => parseEnv({ SIGNET_TEST_SURELY_UNSET_VARIABLE: z.string() })).toThrow(
      "SIGNET_TEST_SURELY_UNSET_VARIABLE: required but not set",
    );
  });
});

describe("runMain", () => {
  const root = resolve(import.meta.dirname, "../../..");
  const config = join(root, "services/common/config.ts");
  // The ESM entry config.ts itself resolves, so both share one zod.
  const zod = join(root, "node_modules/zod/index.js");

  function run(body: string): { status: number | null; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), "signet-main-"));
    const script = join(dir, "main.mts");
    writeFileSync(
      script,
      `import { z } from ${JSON.stringify(zod)};\nimport { parseEnv, runMain } from ${JSON.stringify(config)};\n${body}\n`,
    );
    const result = spawnSync(process.execPath, [script], { encoding: "utf8" });
    return { status: result.status, stderr: result.stderr };
  }

  it("stops on a ConfigError with one line on stderr and status 1", () => {
    const { status, stderr } = run(
      `await runMain(async () => { parseEnv({ SIGNET_LOG_PORT: z.coerce.number().int() }, { SIGNET_LOG_PORT: "abc" }); });`,
    );
    expect(status).toBe(1);
    expect(stderr).toBe('signet: SIGNET_LOG_PORT: expected an integer, got "abc"\n');
  });

  it("prints any other error in full and exits 1", () => {
    const { status, stderr } = run(`await runMain(async () => { throw new Error("storage exploded"); });`);
    expect(status).toBe(1);
    expect(stderr).toContain("Error: storage exploded");
    expect(stderr).toContain("main.mts");
  });

  it("leaves a successful main alone", () => {
    const { status, stderr } = run(`await runMain(async () => { process.stderr.write("ran"); });`);
    expect(status).toBe(0);
    expect(stderr).toBe("ran");
  });
});
