import type { Logger } from "pino";
import type { ProberConfig } from "./config.ts";
import { ProbeError } from "./errors.ts";
import type { ProberMetrics } from "./metrics.ts";
import type { LogMonitor } from "./monitor.ts";
import { probeCa, probeCtLog, probeRekor, probeTsa, probeTuf } from "./probes/read.ts";
import { writeProbe } from "./probes/write.ts";
import { Round } from "./recorder.ts";
import type { RoundReport } from "./report.ts";
import type { TokenSource } from "./token.ts";
import { loadTrustedRoot, logKeysOf } from "./trust.ts";

export interface RoundDependencies {
  config: ProberConfig;
  tokens: TokenSource;
  metrics: ProberMetrics;
  monitor: LogMonitor;
  logger: Logger | false;
}

/**
 * One round: the trusted root as a client gets it, the write probe (whose entry the log's read
 * probes then look up), the read probes of every service, and the log monitor.
 */
export async function runRound(deps: RoundDependencies): Promise<RoundReport> {
  const { config, metrics } = deps;
  const { urls, trustRoot } = config;
  const round = new Round(metrics, config.timeoutMs);
  const trustedRoot = await round.step("trust", "trusted root", () =>
    round.observe(() => loadTrustedRoot(trustRoot, config.timeoutMs), "tuf"),
  );
  const written = config.write
    ? await writeProbe(round, {
        urls,
        tokens: deps.tokens,
        identity: config.identity,
        trustedRoot,
        clientRetries: config.clientRetries,
        timeoutMs: config.timeoutMs,
        metrics,
      })
    : undefined;
  const [logInfo] = await Promise.all([
    probeRekor(round, urls.rekor, written),
    probeCa(round, urls.ca),
    urls.ctlog ? probeCtLog(round, urls.ctlog) : undefined,
    urls.tsa ? probeTsa(round, urls.tsa) : undefined,
    trustRoot.kind === "tuf" ? probeTuf(round, trustRoot.mirrorUrl) : undefined,
  ]);
  if (logInfo && trustedRoot) {
    await deps.monitor.check(
      round,
      [...logInfo.inactive, logInfo.active],
      logKeysOf(trustedRoot),
      (treeId, first, last) => consistencyProof(round, urls.rekor, treeId, first, last),
    );
  } else if (logInfo) {
    round.skipped("monitor", "checkpoint signature", "no trusted root to verify against");
  }
  const report = round.finish();
  metrics.roundFinished(report.ok, new Date());
  logRound(deps.logger, report);
  return report;
}

async function consistencyProof(
  round: Round,
  rekor: string,
  treeId: string,
  firstSize: number,
  lastSize: number,
): Promise<Buffer[] | undefined> {
  let hashes: Buffer[] | undefined;
  await round.request("rekor", {
    url: `${rekor}/api/v1/log/proof?firstSize=${firstSize}&lastSize=${lastSize}&treeID=${treeId}`,
    check: (r) => {
      const proof = r.json() as { hashes?: unknown };
      if (!Array.isArray(proof.hashes)) throw new ProbeError("BAD_RESPONSE", "no hashes");
      hashes = proof.hashes.map((h) => Buffer.from(String(h), "hex"));
    },
  });
  return hashes;
}

function logRound(logger: Logger | false, report: RoundReport): void {
  if (!logger) return;
  const failed = report.results.filter((r) => !r.ok);
  const summary = { ok: report.ok, ms: Math.round(report.ms), probes: report.results.length };
  if (report.ok) logger.info(summary, "round passed");
  else logger.warn({ ...summary, failed }, "round failed");
}
