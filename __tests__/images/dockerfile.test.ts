import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCaConfig } from "../../services/ca/config.ts";
import { loadLogConfig } from "../../services/log/config.ts";
import { serviceNodeFlags } from "../../services/node-flags.ts";
import { loadProberConfig } from "../../services/prober/config.ts";
import {
  argsOf,
  buildStages,
  contextSources,
  entrypointOf,
  envOf,
  readStages,
  repoRoot,
  stage,
  type Target,
  targets,
} from "./dockerfile.ts";

const stages = readStages();
const runtime = stage(stages, "runtime");

// Each service's configured port with the image's environment and the fewest variables it needs.
const portOf: Record<Target, (env: Record<string, string>) => number> = {
  log: (env) => loadLogConfig(env).port,
  ca: (env) =>
    loadCaConfig({ ...env, SIGNET_CA_ISSUERS: '[{"url":"https://issuer.example","type":"email"}]' }).port,
  prober: (env) =>
    loadProberConfig({
      ...env,
      SIGNET_PROBER_CA_URL: "https://ca.example",
      SIGNET_PROBER_REKOR_URL: "https://log.example",
      SIGNET_PROBER_TRUSTED_ROOT: "trusted_root.json",
      SIGNET_PROBER_IDENTITY: "prober@example.com",
      SIGNET_PROBER_ISSUER: "https://issuer.example",
    }).port,
};

describe("Dockerfile", () => {
  it("builds on Node 24 slim and runs on distroless Node 24 as the nonroot user", () => {
    for (const name of [...buildStages, "data"]) expect(stage(stages, name).from).toBe("node:24-slim");
    expect(runtime.from).toBe("gcr.io/distroless/nodejs24-debian12:nonroot");
    expect(argsOf(runtime, "USER")).toEqual(["65532:65532"]);
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: "production" });
    // No shell at run time: nothing may need one.
    for (const name of ["runtime", ...targets]) expect(argsOf(stage(stages, name), "RUN")).toEqual([]);
  });

  it("installs production dependencies only, from the lock, without install scripts", () => {
    const [install, ...others] = argsOf(stage(stages, "dependencies"), "RUN");
    expect(others).toEqual([]);
    expect(install?.split(" ")).toEqual(
      expect.arrayContaining(["npm", "ci", "--omit=dev", "--ignore-scripts"]),
    );
    expect(argsOf(stage(stages, "manifest"), "RUN")).toEqual([
      "node images/production-manifest.ts",
      expect.stringMatching(/^npm install --package-lock-only --ignore-scripts\b/),
    ]);
  });

  it("puts only services/, package.json and production node_modules in the image", () => {
    expect(contextSources(runtime)).toEqual(["services/"]);
    expect(argsOf(runtime, "COPY").filter((args) => args.includes("--from="))).toEqual([
      "--from=dependencies /app/package.json ./",
      "--from=dependencies /app/node_modules/ node_modules/",
      "--from=data --chown=65532:65532 /var/lib/signet/ /var/lib/signet/",
    ]);
  });

  it("sends the build only what its stages copy", () => {
    const allowed = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1));
    const copied = stages.flatMap(contextSources).filter((source) => source !== "./");
    expect(readFileSync(join(repoRoot, ".dockerignore"), "utf8")).toMatch(/^\*$/m);
    expect(new Set(allowed)).toEqual(new Set(copied));
  });

  it.each(targets)("has a %s target that runs its entry point and exposes its port", (name) => {
    const target = stage(stages, name);
    expect(target.from).toBe("runtime");
    const [node, ...args] = entrypointOf(target);
    const script = args.pop();
    expect(node).toBe("/nodejs/bin/node");
    expect(args).toEqual(serviceNodeFlags[name]);
    expect(script).toBe(`services/${name}/main.ts`);
    expect(existsSync(join(repoRoot, script as string))).toBe(true);
    expect(argsOf(target, "EXPOSE")).toEqual([String(portOf[name](envOf(target)))]);
    expect(argsOf(target, "LABEL").join(" ")).toContain(`org.opencontainers.image.title="signet-${name}"`);
  });

  it.each(targets)("writes %s data only under the directories the image prepares", (name) => {
    const prepared = argsOf(stage(stages, "data"), "RUN").join(" ");
    const paths = Object.entries(envOf(stage(stages, name)))
      .filter(([variable]) => /_(DATA_DIR|STATE)$/.test(variable))
      .map(([, value]) => value);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path.startsWith(`/var/lib/signet/${name}`)).toBe(true);
    expect(prepared.split(" ")).toContain(`/var/lib/signet/${name}`);
  });
});
