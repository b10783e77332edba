import { pino } from "pino";
import { runMain } from "../common/config.ts";
import { createLogger } from "../common/logging.ts";
import { shutdownOnSignals } from "../common/server.ts";
import { createProber } from "./app.ts";
import { loadProberConfig } from "./config.ts";
import { formatReport } from "./report.ts";

// The prober's entry point: `node services/prober/main.ts` runs forever and serves metrics;
// `--once` runs one round, prints the report and exits non-zero if any probe failed (the mode
// the scheduled GitHub Actions workflow uses as a second vantage point).
runMain(async () => {
  const config = loadProberConfig();
  const once = process.argv.includes("--once");
  // With --once, stdout is the report; log lines go to stderr.
  const destination = once ? pino.destination({ dest: 2, sync: true }) : undefined;
  const logger = createLogger("signet-prober", config.logLevel, destination);
  const prober = await createProber(config, { logger });
  if (once) {
    const report = await prober.runRound();
    process.stdout.write(formatReport(report));
    // The signing client keeps connections alive; the round is over.
    process.exit(report.ok ? 0 : 1);
  }
  shutdownOnSignals(prober.server, () => prober.stop(), logger);
  await prober.start();
});
