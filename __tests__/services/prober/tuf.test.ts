import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jcs } from "../../../services/log/entries/jcs.ts";
import { createProber, type Prober } from "../../../services/prober/app.ts";
import { loadProberConfig } from "../../../services/prober/config.ts";
import { formatReport, type RoundReport } from "../../../services/prober/report.ts";
import { startInstance, type TestInstance } from "./support.ts";

// A one-key TUF repository (TUF spec 1.0, no consistent snapshots) whose one target is the
// instance's trusted root, served over HTTP: enough for the prober to get its root as clients do.
// TUF signs OLPC canonical JSON; for these ASCII-only documents RFC 8785 JCS writes the same bytes.

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const tufKey = {
  keytype: "ed25519",
  scheme: "ed25519",
  keyval: { public: publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex") },
};
const keyId = createHash("sha256").update(jcs(tufKey)).digest("hex");

function signed(body: Record<string, unknown>): string {
  const sig = sign(null, jcs(body), privateKey).toString("hex");
  return JSON.stringify({ signed: body, signatures: [{ keyid: keyId, sig }] });
}

const common = (type: string, version: number, expires: Date) => ({
  _type: type,
  spec_version: "1.0.31",
  version,
  expires: expires.toISOString().replace(/\.\d+Z$/, "Z"),
});

function writeRepository(dir: string, trustedRoot: Buffer): void {
  const inADay = new Date(Date.now() + 86_400_000);
  const role = { keyids: [keyId], threshold: 1 };
  const root = signed({
    ...common("root", 1, inADay),
    consistent_snapshot: false,
    keys: { [keyId]: tufKey },
    roles: { root: role, targets: role, snapshot: role, timestamp: role },
  });
  const digest = createHash("sha256").update(trustedRoot).digest("hex");
  mkdirSync(join(dir, "targets"), { recursive: true });
  writeFileSync(join(dir, "targets", "trusted_root.json"), trustedRoot);
  writeFileSync(join(dir, "1.root.json"), root);
  writeFileSync(join(dir, "root.json"), root);
  writeFileSync(
    join(dir, "targets.json"),
    signed({
      ...common("targets", 1, inADay),
      targets: { "trusted_root.json": { length: trustedRoot.length, hashes: { sha256: digest } } },
    }),
  );
  writeFileSync(
    join(dir, "snapshot.json"),
    signed({ ...common("snapshot", 1, inADay), meta: { "targets.json": { version: 1 } } }),
  );
  writeTimestamp(dir, 1, inADay);
}

function writeTimestamp(dir: string, version: number, expires: Date): void {
  writeFileSync(
    join(dir, "timestamp.json"),
    signed({ ...common("timestamp", version, expires), meta: { "snapshot.json": { version: 1 } } }),
  );
}

async function serve(dir: string): Promise<Server> {
  const server = createServer((request, response) => {
    try {
      const body = readFileSync(join(dir, new URL(request.url ?? "/", "http://x").pathname));
      response.writeHead(200, { "content-type": "application/json" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

let instance: TestInstance;
let repository: string;
let mirror: Server;
let prober: Prober;

beforeAll(async () => {
  instance = await startInstance();
  repository = join(instance.dir, "tuf");
  writeRepository(repository, readFileSync(instance.trustedRootPath));
  mirror = await serve(repository);
  const { SIGNET_PROBER_TRUSTED_ROOT: _file, ...env } = instance.env;
  const config = loadProberConfig({
    ...env,
    SIGNET_PROBER_TUF_URL: `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`,
    SIGNET_PROBER_TUF_ROOT: join(repository, "root.json"),
    SIGNET_PROBER_TUF_CACHE: join(instance.dir, "tuf-cache"),
  });
  prober = await createProber(config, { logger: false });
});

afterAll(async () => {
  mirror?.closeAllConnections();
  mirror?.close();
  await instance?.close();
});

const tufLines = (report: RoundReport) =>
  report.results.filter((r) => r.service === "tuf" || r.service === "trust");

describe("the trusted root through TUF", () => {
  it("is fetched as a client fetches it, and the round passes", async () => {
    const report = await prober.runRound();
    expect(report.ok, formatReport(report)).toBe(true);
    const fetched = tufLines(report).map((r) => `${r.method ?? ""} ${r.endpoint}`);
    expect(fetched).toEqual(
      expect.arrayContaining([
        "GET /{version}.root.json",
        "GET /timestamp.json",
        "GET /snapshot.json",
        "GET /targets.json",
        "GET /targets/trusted_root.json",
        " trusted root",
      ]),
    );
  });

  it("fails the round when the timestamp has expired", async () => {
    writeTimestamp(repository, 2, new Date(Date.now() - 60_000));
    const report = await prober.runRound();
    expect(report.ok).toBe(false);
    const lines = tufLines(report);
    expect(lines.find((r) => r.endpoint === "trusted root")?.error).toMatch(/expired/i);
    const probe = lines.filter((r) => r.endpoint === "/timestamp.json").at(-1);
    expect(probe?.error).toMatch(/timestamp metadata has expired/);
    // Without a trusted root nothing verifies: that is what a client would see too.
    expect(report.results.find((r) => r.endpoint === "verify (hashedrekord)")?.ok).toBe(false);
  });
});
