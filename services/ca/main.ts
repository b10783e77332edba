import { runMain } from "../common/config.ts";
import { createLogger } from "../common/logging.ts";
import { listenAndServe, shutdownOnSignals } from "../common/server.ts";
import { buildCaService } from "./app.ts";
import { loadCaConfig } from "./config.ts";

// The CA's container entry point: `node services/ca/main.ts`, configured only by environment.
runMain(async () => {
  const config = loadCaConfig();
  const logger = createLogger("signet-ca", config.logLevel);
  const service = await buildCaService(config, logger);
  shutdownOnSignals(service.server, () => service.close(), logger);
  await listenAndServe(service.server, { host: config.host, port: config.port });
});
