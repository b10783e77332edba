import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createServer, listenAndServe } from "../common/server.ts";
import type { ProberConfig } from "./config.ts";
import { describeError } from "./errors.ts";
import { ProberMetrics } from "./metrics.ts";
import { LogMonitor } from "./monitor.ts";
import type { RoundReport } from "./report.ts";
import { runRound } from "./round.ts";
import { type TokenSource, tokenSourceFor } from "./token.ts";

export interface ProberOptions {
  logger: Logger | false;
  /** Replaces the configured token source (tests, or an embedding that mints its own tokens). */
  tokens?: TokenSource;
  /** Called after every round `start` runs, e.g. to print the instance's status. */
  onRound?: (report: RoundReport) => void;
}

export interface Prober {
  /** Serves /metrics and /healthz (and /readyz). */
  server: FastifyInstance;
  registry: Registry;
  /** One full round; never throws, failures are in the report. */
  runRound(): Promise<RoundReport>;
  /** Listens on the configured address and runs a round every interval; resolves to the URL. */
  start(): Promise<string>;
  /** Stops scheduling rounds, waits for the one in flight and closes the server. */
  stop(): Promise<void>;
}

/** The prober service: the probes, the log monitor, metrics and their HTTP server. */
export async function createProber(config: ProberConfig, options: ProberOptions): Promise<Prober> {
  const { logger } = options;
  const metrics = new ProberMetrics();
  const monitor = await LogMonitor.open({ statePath: config.statePath, metrics, logger });
  const tokens = options.tokens ?? tokenSourceFor(config.tokenSource, config.timeoutMs);
  const server = createServer({ name: "prober", logger, registry: metrics.registry });
  const round = () => runRound({ config, tokens, metrics, monitor, logger });

  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  // Rounds never overlap: the next starts one interval after this one started, or at once if
  // this one took longer.
  const tick = (): void => {
    const started = Date.now();
    inFlight = round()
      .then((report) => options.onRound?.(report))
      .catch((error: unknown) => {
        if (logger) logger.error({ err: error, message: describeError(error) }, "round crashed");
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, Math.max(0, config.intervalMs - (Date.now() - started)));
      });
  };

  return {
    server,
    registry: metrics.registry,
    runRound: round,
    async start() {
      const url = await listenAndServe(server, { host: config.host, port: config.port });
      tick();
      return url;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      await server.close();
    },
  };
}
