import { runMain } from "../common/config.ts";
import { createLogger } from "../common/logging.ts";
import { listenAndServe, shutdownOnSignals } from "../common/server.ts";
import { buildLogService } from "./app.ts";
import { loadLogConfig } from "./config.ts";

// The log's container entry point: `node services/log/main.ts`, configured only by environment.
runMain(async () => {
  const config = loadLogConfig();
  const logger = createLogger("signet-log", config.logLevel);
  const service = await buildLogService(config, logger);
  shutdownOnSignals(service.server, () => service.close(), logger);
  await listenAndServe(service.server, { host: config.host, port: config.port });
});
