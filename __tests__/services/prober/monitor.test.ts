import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkpointBody,
  keyHintOf,
  parseSignedCheckpoint,
  signNote,
} from "../../../services/common/checkpoint.ts";
import { createLogger } from "../../../services/common/logging.ts";
import { createProber } from "../../../services/prober/app.ts";
import { loadProberConfig } from "../../../services/prober/config.ts";
import { formatReport, type RoundReport } from "../../../services/prober/report.ts";
import { startInstance, type TestInstance } from "./support.ts";

let instance: TestInstance;
let statePath: string;

beforeAll(async () => {
  instance = await startInstance();
  statePath = join(instance.dir, "monitor-state.json");
});

afterAll(async () => {
  await instance?.close();
});

/** A prober whose JSON log lines are kept, with the monitor's state in `statePath`. */
async function prober(env: Record<string, string> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger("prober-test", "info", {
    write: (line: string) => lines.push(JSON.parse(line)),
  });
  const created = await createProber(
    loadProberConfig({ ...instance.env, SIGNET_PROBER_STATE: statePath, ...env }),
    { logger },
  );
  const metric = async (name: string) => {
    const text = (await created.server.inject({ url: "/metrics" })).body;
    const row = text.split("\n").find((l) => l.startsWith(`${name} `));
    return Number(row?.split(" ")[1]);
  };
  return { prober: created, lines, metric };
}

const readState = () =>
  JSON.parse(readFileSync(statePath, "utf8")) as { checkpoints: Record<string, string> };

const step = (report: RoundReport, prefix: string) =>
  report.results.find((r) => r.service === "monitor" && r.endpoint.startsWith(prefix));

/** A checkpoint signed with the log's own key for a tree the log never had: an equivocating log. */
function forgeCheckpoint(note: string, size: number): Promise<string> {
  const { checkpoint, signatures } = parseSignedCheckpoint(note);
  const signer = instance.log.service.identity.signer;
  const body = checkpointBody({ ...checkpoint, size, rootHash: randomBytes(32) });
  return signNote(body, signatures[0]?.name ?? "", keyHintOf(signer.spki), (data) => signer.sign(data));
}

describe("the log monitor", () => {
  it("remembers the last verified checkpoint across restarts and checks consistency with it", async () => {
    const first = await prober();
    const firstRound = await first.prober.runRound();
    expect(firstRound.ok, formatReport(firstRound)).toBe(true);
    const [treeId, note] = Object.entries(readState().checkpoints)[0] ?? [];
    expect(treeId).toMatch(/^\d+$/);
    expect(parseSignedCheckpoint(note ?? "").checkpoint.size).toBeGreaterThan(0);
    // Nothing to compare with yet.
    expect(await first.metric("log_consistency_checks_total")).toBe(0);

    const restarted = await prober();
    const report = await restarted.prober.runRound();
    expect(report.ok, formatReport(report)).toBe(true);
    expect(step(report, "consistency")?.ok).toBe(true);
    expect(await restarted.metric("log_consistency_checks_total")).toBe(1);
    expect(await restarted.metric("log_consistency_failures_total")).toBe(0);
  });

  it.each([
    ["the same size with another root", 0],
    ["a smaller tree that the current one does not extend", -1],
    ["a larger tree than the log now shows", 5],
  ])("flags a split view when the last checkpoint seen was %s", async (_case, delta) => {
    // No write probe: the tree keeps its size while we forge history around it.
    const env = { SIGNET_PROBER_WRITE: "false" };
    writeFileSync(statePath, JSON.stringify({ checkpoints: {} }));
    await (await prober(env)).prober.runRound();
    const [treeId, current] = Object.entries(readState().checkpoints)[0] ?? ["", ""];
    const size = parseSignedCheckpoint(current).checkpoint.size + delta;
    const forged = await forgeCheckpoint(current, size);
    writeFileSync(statePath, JSON.stringify({ checkpoints: { [treeId]: forged } }));

    const { prober: watching, lines, metric } = await prober(env);
    const report = await watching.runRound();
    expect(report.ok).toBe(false);
    expect(step(report, "checkpoint signature")?.ok).toBe(true);
    expect(step(report, "consistency")?.error).toMatch(/^SPLIT_VIEW: SPLIT VIEW/);
    expect(await metric("log_consistency_failures_total")).toBe(1);
    expect(await metric("log_consistency_checks_total")).toBe(1);
    const alarm = lines.find((l) => String(l.message).startsWith("SPLIT VIEW"));
    expect(alarm?.severity).toBe("ERROR");
    expect(alarm?.previousCheckpoint).toBe(forged);
    expect(alarm?.currentCheckpoint).toBe(current);
    // The evidence is kept: every later round fails until an operator looks.
    expect(readState().checkpoints[treeId]).toBe(forged);
  });

  it("refuses a checkpoint not signed by a log key in the trusted root", async () => {
    const root = JSON.parse(readFileSync(instance.trustedRootPath, "utf8"));
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    root.tlogs[0].publicKey.rawBytes = publicKey.export({ type: "spki", format: "der" }).toString("base64");
    const otherRoot = join(instance.dir, "other-root.json");
    writeFileSync(otherRoot, JSON.stringify(root));

    const { prober: watching } = await prober({
      SIGNET_PROBER_TRUSTED_ROOT: otherRoot,
      SIGNET_PROBER_WRITE: "false",
    });
    const report = await watching.runRound();
    expect(report.ok).toBe(false);
    expect(step(report, "checkpoint signature")?.error).toMatch(/^CHECKPOINT_SIGNATURE/);
    expect(step(report, "consistency")).toBeUndefined();
  });
});
