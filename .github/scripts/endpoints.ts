/**
 * `node .github/scripts/endpoints.ts <environment>`: prints where an environment's services and
 * images live, as `name=value` lines a workflow appends to `$GITHUB_OUTPUT`:
 * `ca`, `rekor`, `tsa`, `ctlog`, `tuf` (URLs) and `registry` (the image repository prefix).
 * Reads the same validated configuration as the stacks ($SIGNET_CONFIG_DIR or
 * stacks/environments), so a workflow never hard-codes a host name.
 */
import { endpointUrls, imageRepository } from "../../src/config/endpoints.ts";
import { ConfigError, loadEnvironment } from "../../src/config/load.ts";

export function endpointLines(name: string, dir?: string): string[] {
  const environment = loadEnvironment(name, dir);
  const values = { ...endpointUrls(environment), registry: imageRepository(environment) };
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
