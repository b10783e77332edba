/**
 * `node .github/scripts/endpoints.ts <environment>`: prints where an environment's services,
 * images and TUF root are, as `name=value` lines a workflow appends to `$GITHUB_OUTPUT`:
 * `ca`, `rekor`, `tsa`, `ctlog`, `tuf` (URLs), `registry` (the image repository prefix) and
 * `tufRoot` (the path of the environment's committed TUF root, where clients start trusting).
 * Reads the same validated configuration as the stacks and charts ($SIGNET_CONFIG_DIR or
 * stacks/environments), so a workflow never hard-codes a host name.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { endpointUrls, imageRepository } from "../../src/config/endpoints.ts";
import { ConfigError, configDir, loadEnvironment } from "../../src/config/load.ts";

export function endpointLines(name: string, dir = configDir()): string[] {
  const environment = loadEnvironment(name, dir);
  // Committed beside the environment file with its other trust material (charts/trust.ts).
  const tufRoot = join(dir, name, "tuf-root.json");
  if (!existsSync(tufRoot)) throw new ConfigError(tufRoot, "file not found (the published TUF root.json)");
  const values = { ...endpointUrls(environment), registry: imageRepository(environment), tufRoot };
  return Object.entries(values).map(([key, value]) => `${key}=${value}`);
}

if (import.meta.main) {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || rest.length > 0) {
    console.error("usage: node .github/scripts/endpoints.ts <environment>");
    process.exit(2);
  }
  try {
    process.stdout.write(`${endpointLines(name).join("\n")}\n`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
