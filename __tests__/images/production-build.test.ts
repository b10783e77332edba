import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PackageManifest, runtimePackages } from "../../images/production-manifest.ts";
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

// No Docker engine here: this replays the Dockerfile's build stages in a temporary directory
// (the same context files, the same RUN steps, verbatim) and starts every target from the result.

const run = promisify(execFile);
const stages = readStages();
let app: string;
let data: string;

interface LockFile {
  packages: Record<string, { version?: string; dev?: boolean }>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}

/** name@version of every package a lock file installs. */
function lockedVersions(lock: LockFile): Set<string> {
  return new Set(
    Object.entries(lock.packages)
      .filter(([path]) => path !== "")
      .map(([path, entry]) => `${path.slice(path.lastIndexOf("node_modules/") + 13)}@${entry.version}`),
  );
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), "signet-image-"));
  data = await mkdtemp(join(tmpdir(), "signet-image-data-"));
  for (const name of buildStages) {
    const build = stage(stages, name);
    for (const source of contextSources(build)) {
      await cp(join(repoRoot, source), join(app, source), { recursive: true });
    }
    // The machine's npm cache stands in for the registry where it can.
    const env = { ...process.env, npm_config_prefer_offline: "true", npm_config_update_notifier: "false" };
    for (const step of argsOf(build, "RUN")) await run("sh", ["-c", step], { cwd: app, env });
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([app, data].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the production build", () => {
  it("installs what services/ imports and none of the tooling", async () => {
    const manifest = await readJson<PackageManifest>(join(app, "package.json"));
    const root = await readJson<PackageManifest>(join(repoRoot, "package.json"));
    const needed = await runtimePackages(join(repoRoot, "services"));
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(needed);
    expect(manifest.devDependencies).toBeUndefined();
    const installed = lockedVersions(await readJson<LockFile>(join(app, "package-lock.json")));
    const names = new Set([...installed].map((entry) => entry.slice(0, entry.lastIndexOf("@"))));
    for (const name of needed) expect(names).toContain(name);
    // Development tools (only the repository's devDependencies reach them) and the infrastructure
    // code's packages; a devDependency another package also needs, like @sigstore/core, may stay.
    const rootLock = await readJson<LockFile>(join(repoRoot, "package-lock.json"));
    const tooling = [
      ...Object.keys(root.devDependencies ?? {}).filter(
        (name) => rootLock.packages[`node_modules/${name}`]?.dev && !needed.includes(name),
      ),
      ...Object.keys(root.dependencies ?? {}).filter((name) => /^(@cdktf\/|cdktf|constructs$)/.test(name)),
    ];
    expect(tooling).toEqual(expect.arrayContaining(["vitest", "typescript", "@biomejs/biome", "cdktf-cli"]));
    for (const name of tooling) expect(names).not.toContain(name);
  });

  it("keeps every package at the version the repository's lock file pins", async () => {
    const pinned = lockedVersions(await readJson<LockFile>(join(repoRoot, "package-lock.json")));
    const installed = lockedVersions(await readJson<LockFile>(join(app, "package-lock.json")));
    expect([...installed].filter((entry) => !pinned.has(entry))).toEqual([]);
  });
});

/** What each target needs beyond the image's own environment: local files instead of GCP. */
async function serviceEnv(name: Target): Promise<Record<string, string>> {
  const dir = join(data, name);
  switch (name) {
    case "log":
      return { SIGNET_LOG_HOST: "127.0.0.1", SIGNET_LOG_PORT: "0", SIGNET_LOG_DATA_DIR: dir };
    case "ca":
      return {
        SIGNET_CA_HOST: "127.0.0.1",
        SIGNET_CA_PORT: "0",
        SIGNET_CA_DATA_DIR: dir,
        SIGNET_CA_ISSUERS: JSON.stringify([{ url: "https://issuer.example", type: "email" }]),
      };
    case "prober": {
      const trustedRoot = join(data, "trusted_root.json");
      await writeFile(
        trustedRoot,
        JSON.stringify({
          mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
          tlogs: [],
          certificateAuthorities: [],
          ctlogs: [],
          timestampAuthorities: [],
        }),
      );
      // Nothing listens on the discard port: the probes fail fast, the service keeps serving.
      return {
        SIGNET_PROBER_HOST: "127.0.0.1",
        SIGNET_PROBER_PORT: "0",
        SIGNET_PROBER_CA_URL: "http://127.0.0.1:9",
        SIGNET_PROBER_REKOR_URL: "http://127.0.0.1:9",
        SIGNET_PROBER_TRUSTED_ROOT: trustedRoot,
        SIGNET_PROBER_WRITE: "false",
        SIGNET_PROBER_IDENTITY: "prober@example.com",
        SIGNET_PROBER_ISSUER: "https://issuer.example",
        SIGNET_PROBER_TIMEOUT_MS: "2000",
        SIGNET_PROBER_STATE: join(dir, "monitor.json"),
      };
    }
  }
}

/** The URL from the service's "listening" log line; rejects if it exits first. */
async function listeningUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`exited with ${code} before listening`);
  });
  const listening = (async () => {
    for await (const line of lines) {
      const entry = JSON.parse(line) as { message?: string; url?: string };
      if (entry.message === "listening" && entry.url) return entry.url;
    }
    throw new Error("output ended before listening");
  })();
  return Promise.race([listening, exited]);
}

describe.each(targets)("the %s image", (name) => {
  it("starts, answers /healthz and exits 0 on SIGTERM", async () => {
    const target = stage(stages, name);
    const [, ...args] = entrypointOf(target);
    // The container's environment, minus the data directories a volume provides there.
    const env = { ...envOf(stage(stages, "runtime")), ...envOf(target), ...(await serviceEnv(name)) };
    let stderr = "";
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const url = await listeningUrl(child).catch((error: Error) => {
        throw new Error(`${error.message}\n${stderr}`);
      });
      const response = await fetch(`${url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
      const exit = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exit;
      expect(code, stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    expect(dirname(args.at(-1) ?? "")).toBe(`services/${name}`);
  }, 30_000);
});
