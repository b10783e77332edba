/**
 * `npm run render [-- --out <dir>]`: writes each environment's manifests to
 * `<dir>/<env>/` (default charts/rendered, which is committed and which Argo CD deploys).
 * Nothing is written when any environment fails to load or validate; the error is one line.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderToDirectory } from "./output.ts";

try {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = resolve(values.out ?? resolve(import.meta.dirname, "rendered"));
  const counts = renderToDirectory(out);
  for (const [environment, count] of Object.entries(counts)) {
    console.log(`${environment}: ${count} objects in ${resolve(out, environment)}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
