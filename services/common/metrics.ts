import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import packageJson from "../../package.json" with { type: "json" };

/**
 * A registry for one service: default Node.js process metrics plus `<service>_build_info`, the
 * conventional constant-1 gauge whose labels say what is running.
 */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: `${service}_build_info`,
    help: `Build of the ${service} service: version and Node.js runtime; always 1.`,
    labelNames: ["version", "node_version"],
    registers: [registry],
  });
  buildInfo.set({ version: packageJson.version, node_version: process.versions.node }, 1);
  return registry;
}
