import { resolve } from "node:path";
import { z } from "zod";
import { parseEnv, runMain } from "../common/config.ts";
import { createLogger } from "../common/logging.ts";
import type { RoundReport } from "../prober/report.ts";
import { startLocalInstance } from "./instance.ts";

// `npm start`: the whole instance on this machine, its state in .signet/local/.
runMain(async () => {
  const env = parseEnv({
    SIGNET_LOCAL_DIR: z.string().default(".signet/local"),
    SIGNET_LOCAL_PORT: z.coerce.number().int().min(0).max(65530).default(3000),
    SIGNET_LOCAL_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "silent"]).default("warn"),
  });
  const dataDir = resolve(env.SIGNET_LOCAL_DIR);
  const logger = createLogger("signet-local", env.SIGNET_LOCAL_LOG_LEVEL);
  const instance = await startLocalInstance({
    dataDir,
    basePort: env.SIGNET_LOCAL_PORT,
    logger,
    onRound: printRound,
  });

  const rows = Object.entries(instance.endpoints).map(([name, url]) => `  ${name.padEnd(8)} ${url}`);
  process.stdout.write(
    [
      "Signet is running on this machine:",
      ...rows,
      `  trusted root  ${instance.trustedRootPath}`,
      `  TUF root      ${instance.tufRootPath}`,
      `  endpoints     ${resolve(dataDir, "endpoints.json")}`,
      "Prober rounds every 10 s below; Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write("\nstopping…\n");
    await instance.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
});

function printRound(report: RoundReport): void {
  const time = report.startedAt.toISOString().slice(11, 19);
  const failed = report.results.filter((r) => !r.ok);
  const line = report.ok
    ? `${time}  prober: round passed (${report.results.length} probes, ${Math.round(report.ms)} ms)`
    : `${time}  prober: round FAILED: ${failed.map((r) => `${r.service} ${r.endpoint}${r.error ? ` (${r.error})` : ""}`).join("; ")}`;
  process.stdout.write(`${line}\n`);
}
