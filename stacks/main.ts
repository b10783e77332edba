import { App } from "../src/cdktf.ts";
import { ConfigError, loadConfiguration } from "../src/config/load.ts";
import { BootstrapStack } from "./bootstrap-stack.ts";
import { ClusterStack } from "./cluster-stack.ts";
import { PlatformStack } from "./platform-stack.ts";

/**
 * The cdktf app: `bootstrap`, then `<env>-platform` and `<env>-cluster` for each environment the
 * bootstrap file lists. All configuration is read and validated before any stack is built.
 */
export function buildApp(outdir?: string): App {
  const { bootstrap, environments } = loadConfiguration();
  const app = new App({ outdir });
  new BootstrapStack(app, "bootstrap", { bootstrap, environments });
  for (const environment of environments) {
    const platform = new PlatformStack(app, `${environment.name}-platform`, environment);
    new ClusterStack(app, `${environment.name}-cluster`, { env: environment, platform });
  }
  return app;
}

if (import.meta.main) {
  try {
    buildApp().synth();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`signet: ${error.message}`);
    process.exitCode = 1;
  }
}
