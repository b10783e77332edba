import { readFile, rename, writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import { type Checkpoint, parseSignedCheckpoint, verifyCheckpoint } from "../common/checkpoint.ts";
import { verifyConsistency } from "../common/merkle/verify.ts";
import { ProbeError } from "./errors.ts";
import type { ProberMetrics } from "./metrics.ts";
import type { Round } from "./recorder.ts";
import type { LogKey } from "./trust.ts";

/** One shard's head as GET /api/v1/log reports it (the active shard or an inactive one). */
export interface ShardHead {
  treeId: string;
  treeSize: number;
  rootHash: string;
  signedTreeHead: string;
}

/** The latest consistency proof between two sizes of a shard, from GET /api/v1/log/proof. */
export type ProofFetcher = (
  treeId: string,
  firstSize: number,
  lastSize: number,
) => Promise<Buffer[] | undefined>;

interface MonitorState {
  /** The last verified checkpoint of each shard, as the signed note the log served. */
  checkpoints: Record<string, string>;
}

export interface LogMonitorOptions {
  /** Where the last checkpoints survive restarts; kept in memory only when absent. */
  statePath?: string | undefined;
  metrics: ProberMetrics;
  logger: Logger | false;
}

/**
 * Watches the log for split views: every checkpoint it sees must carry the log's signature and
 * extend the last one it saw for that shard (RFC 9162 §2.1.4 consistency). A log that shows one
 * tree to us and another to someone else cannot keep both consistent with what we remember.
 */
export class LogMonitor {
  private readonly state: MonitorState;
  private readonly options: LogMonitorOptions;

  private constructor(state: MonitorState, options: LogMonitorOptions) {
    this.state = state;
    this.options = options;
  }

  static async open(options: LogMonitorOptions): Promise<LogMonitor> {
    return new LogMonitor(await readState(options.statePath), options);
  }

  /** The signed note last verified for `treeId`, if any. */
  lastCheckpoint(treeId: string): string | undefined {
    return this.state.checkpoints[treeId];
  }

  /** Verifies each shard's checkpoint, then its consistency with the last one seen. */
  async check(round: Round, heads: ShardHead[], keys: LogKey[], fetchProof: ProofFetcher): Promise<void> {
    for (const head of heads) {
      const checkpoint = await round.step("monitor", `checkpoint signature (tree ${head.treeId})`, async () =>
        verifiedCheckpoint(head, keys),
      );
      if (checkpoint) await this.checkConsistency(round, head, checkpoint, fetchProof);
    }
  }

  private async checkConsistency(
    round: Round,
    head: ShardHead,
    checkpoint: Checkpoint,
    fetchProof: ProofFetcher,
  ): Promise<void> {
    const previousNote = this.state.checkpoints[head.treeId];
    if (previousNote === undefined) {
      await this.remember(head);
      return;
    }
    await round.step("monitor", `consistency (tree ${head.treeId}) -> ${checkpoint.size}`, async () => {
      const previous = parseSignedCheckpoint(previousNote).checkpoint;
      const consistent = await this.isConsistent(head.treeId, previous, checkpoint, fetchProof);
      this.options.metrics.consistencyChecked(consistent);
      if (!consistent) {
        this.reportSplitView(head, previousNote);
        throw new ProbeError(
          "SPLIT_VIEW",
          `SPLIT VIEW: checkpoint of size ${checkpoint.size} does not extend the one of size ${previous.size}`,
        );
      }
      await this.remember(head);
    });
  }

  private async isConsistent(
    treeId: string,
    previous: Checkpoint,
    current: Checkpoint,
    fetchProof: ProofFetcher,
  ): Promise<boolean> {
    if (current.size < previous.size) return false;
    if (current.size === previous.size || previous.size === 0) {
      return verifyConsistency(previous.size, current.size, [], previous.rootHash, current.rootHash);
    }
    const proof = await fetchProof(treeId, previous.size, current.size);
    // No proof is an unavailable log, not a split view: the request's own line says why.
    if (!proof) throw new ProbeError("PROOF_UNAVAILABLE", "no consistency proof to check");
    return verifyConsistency(previous.size, current.size, proof, previous.rootHash, current.rootHash);
  }

  private reportSplitView(head: ShardHead, previousNote: string): void {
    const logger = this.options.logger;
    if (!logger) return;
    logger.error(
      { treeId: head.treeId, previousCheckpoint: previousNote, currentCheckpoint: head.signedTreeHead },
      "SPLIT VIEW: the log's checkpoint is inconsistent with the last one this prober verified",
    );
  }

  private async remember(head: ShardHead): Promise<void> {
    this.state.checkpoints[head.treeId] = head.signedTreeHead;
    const path = this.options.statePath;
    if (path === undefined) return;
    // Write then rename, so a crash never leaves half a state file.
    await writeFile(`${path}.tmp`, `${JSON.stringify(this.state, null, 2)}\n`);
    await rename(`${path}.tmp`, path);
  }
}

/**
 * The checkpoint, when one of its signatures verifies with a trusted log key under a name that
 * key's baseUrl contains (the rule sigstore-js applies, sigstore-wire.md §2), and it states the
 * size and root the log reported beside it.
 */
function verifiedCheckpoint(head: ShardHead, keys: LogKey[]): Checkpoint {
  if (keys.length === 0) throw new ProbeError("NO_LOG_KEY", "the trusted root lists no log key");
  const { signatures } = parseSignedCheckpoint(head.signedTreeHead);
  const candidates = keys.flatMap((key) =>
    signatures.filter((s) => key.baseUrl.includes(s.name)).map((s) => ({ key, name: s.name })),
  );
  for (const { key, name } of candidates) {
    const checkpoint = signedBy(head.signedTreeHead, name, key);
    if (!checkpoint) continue;
    if (checkpoint.size !== head.treeSize || checkpoint.rootHash.toString("hex") !== head.rootHash) {
      throw new ProbeError("BAD_RESPONSE", "signed checkpoint disagrees with treeSize/rootHash beside it");
    }
    return checkpoint;
  }
  throw new ProbeError("CHECKPOINT_SIGNATURE", "no valid signature by a log key in the trusted root");
}

function signedBy(note: string, name: string, key: LogKey): Checkpoint | undefined {
  try {
    return verifyCheckpoint(note, name, key.publicKey, key.spki);
  } catch {
    // Another key's signature, or a key type checkpoints are not signed with.
    return undefined;
  }
}

async function readState(path: string | undefined): Promise<MonitorState> {
  if (path === undefined) return { checkpoints: {} };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { checkpoints: {} };
    throw error;
  }
  const state = JSON.parse(text) as Partial<MonitorState>;
  return { checkpoints: { ...state.checkpoints } };
}
