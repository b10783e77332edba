// An acknowledged entry is never lost: the log runs as its container runs it (`node
// services/log/main.ts`, configured by environment only), takes concurrent appends, is SIGKILLed
// mid-load and restarted on the same storage. Every 201 must still be provable, and the new
// checkpoint must extend every checkpoint handed out before the kill.
import { type ChildProcess, spawn } from "node:child_process";
import { createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Checkpoint, verifyCheckpoint } from "../../../services/common/checkpoint.ts";
import { emptyRoot, leafHash } from "../../../services/common/merkle/hash.ts";
import { verifyConsistency, verifyInclusion } from "../../../services/common/merkle/verify.ts";
import { createCa, issueLeaf, type TestCertificate } from "../../support/pki.ts";
import { type PostgresServer, startPostgres } from "../../support/postgres.ts";
import { sigstoreMessage } from "./entries/support.ts";

const repository = fileURLToPath(new URL("../../../", import.meta.url));
const HOSTNAME = "127.0.0.1";
const CLIENTS = 16;
const KILL_AFTER = 300;

interface LogProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

interface Acknowledged {
  uuid: string;
  logIndex: number;
  body: string;
  checkpoint: string;
}

interface LoadRecord {
  acknowledged: Acknowledged[];
  /** Every signed checkpoint the log handed out, from 201 responses and GET /api/v1/log. */
  checkpoints: Set<string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOSTNAME, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** Starts the log exactly as its container does, and waits until it is ready. */
async function startLogProcess(env: Record<string, string>): Promise<LogProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["services/log/main.ts"], {
    cwd: repository,
    env: {
      PATH: process.env.PATH ?? "",
      SIGNET_LOG_HOST: HOSTNAME,
      SIGNET_LOG_PORT: String(port),
      SIGNET_LOG_HOSTNAME: HOSTNAME,
      SIGNET_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const log = { url: `http://${HOSTNAME}:${port}`, child, exited, output: () => output };
  await waitUntilReady(log);
  return log;
}

async function waitUntilReady(log: LogProcess): Promise<void> {
  let exit: { code: number | null } | undefined;
  void log.exited.then((status) => {
    exit = status;
  });
  // Generous: start-up is not what this test measures, a log that never comes up is.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`the log exited (${exit.code}) before ready:\n${log.output()}`);
    const ready = await fetch(`${log.url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(50);
  }
  throw new Error(`the log never became ready:\n${log.output()}`);
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

function appendEntry(log: LogProcess, signer: TestCertificate): Promise<Response> {
  const { proposed } = sigstoreMessage(randomBytes(32), signer.key, signer.pem);
  return fetch(`${log.url}/api/v1/log/entries`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(proposed),
  });
}

async function acknowledgement(response: Response): Promise<Acknowledged> {
  const text = await response.text();
  if (response.status !== 201) throw new Error(`append answered ${response.status}: ${text}`);
  const [[uuid, entry]] = Object.entries(JSON.parse(text)) as [[string, any]];
  return {
    uuid,
    logIndex: entry.logIndex,
    body: entry.body,
    checkpoint: entry.verification.inclusionProof.checkpoint,
  };
}

/** Concurrent clients append until KILL_AFTER entries are acknowledged, then the log is SIGKILLed. */
async function appendUntilKilled(log: LogProcess, signer: TestCertificate): Promise<LoadRecord> {
  const record: LoadRecord = { acknowledged: [], checkpoints: new Set() };
  let killed = false;
  // A request the kill cut off was never acknowledged; any other failure is a finding.
  const unlessKilled = <T>(request: Promise<T>): Promise<T | undefined> =>
    request.catch((error: unknown) => {
      if (killed) return undefined;
      throw error;
    });
  const client = async () => {
    while (!killed) {
      const response = await unlessKilled(appendEntry(log, signer));
      const acknowledged = response && (await unlessKilled(acknowledgement(response)));
      if (acknowledged === undefined) return;
      record.acknowledged.push(acknowledged);
      record.checkpoints.add(acknowledged.checkpoint);
      if (record.acknowledged.length >= KILL_AFTER && !killed) {
        killed = true;
        log.child.kill("SIGKILL");
      }
    }
  };
  const monitor = async () => {
    while (!killed) {
      const head = await unlessKilled(getJson(`${log.url}/api/v1/log`));
      if (head) record.checkpoints.add(head.signedTreeHead);
      await sleep(25);
    }
  };
  await Promise.all([monitor(), ...Array.from({ length: CLIENTS }, client)]);
  expect(await log.exited).toEqual({ code: null, signal: "SIGKILL" });
  return record;
}

interface LogKey {
  pem: string;
  key: KeyObject;
  spki: Buffer;
}

async function logKey(log: LogProcess): Promise<LogKey> {
  const response = await fetch(`${log.url}/api/v1/log/publicKey`);
  const pem = await response.text();
  const key = createPublicKey(pem);
  return { pem, key, spki: key.export({ type: "spki", format: "der" }) };
}

const signedBy = (note: string, key: LogKey): Checkpoint =>
  verifyCheckpoint(note, HOSTNAME, key.key, key.spki);

/** Runs `work` over `items` with a few requests in flight. */
async function eachConcurrently<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function expectProvable(log: LogProcess, ack: Acknowledged, head: Checkpoint): Promise<void> {
  const stored = (await getJson(`${log.url}/api/v1/log/entries/${ack.uuid}`))[ack.uuid];
  expect(stored, `entry ${ack.uuid} at ${ack.logIndex}`).toBeDefined();
  expect(stored.logIndex).toBe(ack.logIndex);
  expect(stored.body).toBe(ack.body);
  const hash = leafHash(Buffer.from(ack.body, "base64"));
  expect(ack.uuid.slice(16)).toBe(hash.toString("hex"));
  const proof = stored.verification.inclusionProof;
  expect(proof.treeSize).toBe(head.size);
  const hashes = proof.hashes.map((h: string) => Buffer.from(h, "hex"));
  expect(verifyInclusion(proof.logIndex, head.size, hash, hashes, head.rootHash)).toBe(true);
}

async function expectExtends(log: LogProcess, earlier: Checkpoint, head: Checkpoint): Promise<void> {
  expect(earlier.size).toBeLessThanOrEqual(head.size);
  if (earlier.size === 0) {
    expect(earlier.rootHash).toEqual(emptyRoot());
    return;
  }
  const proof = await getJson(`${log.url}/api/v1/log/proof?firstSize=${earlier.size}&lastSize=${head.size}`);
  expect(proof.rootHash).toBe(head.rootHash.toString("hex"));
  const hashes = proof.hashes.map((h: string) => Buffer.from(h, "hex"));
  expect(verifyConsistency(earlier.size, head.size, hashes, earlier.rootHash, head.rootHash)).toBe(true);
}

async function currentCheckpoint(log: LogProcess, key: LogKey): Promise<Checkpoint> {
  const info = await getJson(`${log.url}/api/v1/log`);
  const head = signedBy(info.signedTreeHead, key);
  expect(head.origin).toBe(`${HOSTNAME} - ${info.treeID}`);
  expect([head.size, head.rootHash.toString("hex")]).toEqual([info.treeSize, info.rootHash]);
  return head;
}

async function expectRecovered(log: LogProcess, before: LoadRecord, key: LogKey): Promise<Checkpoint> {
  expect((await logKey(log)).pem).toBe(key.pem);
  const head = await currentCheckpoint(log, key);
  const indexes = before.acknowledged.map((ack) => ack.logIndex);
  expect(new Set(indexes).size).toBe(indexes.length);
  expect(head.size).toBeGreaterThan(Math.max(...indexes));
  await eachConcurrently(before.acknowledged, (ack) => expectProvable(log, ack, head));
  const handedOut = [...before.checkpoints].map((note) => signedBy(note, key));
  await eachConcurrently(handedOut, (earlier) => expectExtends(log, earlier, head));
  return head;
}

async function expectStillAppending(log: LogProcess, signer: TestCertificate, key: LogKey, head: Checkpoint) {
  const after = await Promise.all(
    Array.from({ length: 16 }, async () => acknowledgement(await appendEntry(log, signer))),
  );
  expect(after.map((ack) => ack.logIndex).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 16 }, (_, i) => head.size + i),
  );
  const newest = await currentCheckpoint(log, key);
  for (const ack of after) await expectProvable(log, ack, newest);
  await expectExtends(log, head, newest);
}

async function stop(log: LogProcess): Promise<void> {
  if (log.child.exitCode === null && log.child.signalCode === null) log.child.kill("SIGKILL");
  await log.exited;
}

function crashTest(storage: () => Record<string, string>): () => Promise<void> {
  return async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "signet-crash-"));
    const env = { SIGNET_LOG_DATA_DIR: dataDir, ...storage() };
    const signer = await issueLeaf(await createCa(), { email: "crash@signet.test" });
    const running: LogProcess[] = [];
    try {
      const first = await startLogProcess(env);
      running.push(first);
      const key = await logKey(first);
      const before = await appendUntilKilled(first, signer);
      expect(before.acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);

      const second = await startLogProcess(env);
      running.push(second);
      const head = await expectRecovered(second, before, key);
      await expectStillAppending(second, signer, key, head);
    } catch (error) {
      const outputs = running.map((log, i) => `--- log process ${i + 1} ---\n${log.output()}`).join("\n");
      throw new Error(`${(error as Error).message}\n${outputs}`, { cause: error });
    } finally {
      await Promise.all(running.map(stop));
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

describe("the log killed with SIGKILL under a write load", () => {
  it(
    "keeps every acknowledged entry with SQLite",
    crashTest(() => ({})),
    60_000,
  );

  describe("with PostgreSQL", () => {
    let postgres: PostgresServer | undefined;
    beforeAll(async () => {
      postgres = await startPostgres();
    }, 60_000);
    afterAll(() => postgres?.stop());

    it(
      "keeps every acknowledged entry",
      crashTest(() => {
        if (!postgres) throw new Error("PostgreSQL did not start");
        const shards = [{ treeId: "4242", storage: postgres.url, state: "active" }];
        return { SIGNET_LOG_SHARDS: JSON.stringify(shards) };
      }),
      60_000,
    );
  });
});
