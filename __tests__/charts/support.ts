import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderEnvironment } from "../../charts/environment.ts";
import type { KubernetesObject } from "../../charts/kubernetes.ts";
import { loadTrustMaterial } from "../../charts/trust.ts";
import { loadEnvironment } from "../../src/config/load.ts";
import type { Environment } from "../../src/config/schema.ts";

export const environments: Record<string, Environment> = {
  staging: loadEnvironment("staging"),
  production: loadEnvironment("production"),
};

/** Each committed example environment's objects, rendered in memory. */
export const rendered: Record<string, KubernetesObject[]> = Object.fromEntries(
  Object.entries(environments).map(([name, env]) => [name, renderEnvironment(env, loadTrustMaterial(name))]),
);

export function find(objects: KubernetesObject[], kind: string, name: string, namespace?: string): any {
  const object = objects.find(
    (o) =>
      o.kind === kind &&
      o.metadata.name === name &&
      (namespace === undefined || o.metadata.namespace === namespace),
  );
  if (!object) throw new Error(`no ${kind} ${namespace ?? ""}/${name} rendered`);
  return object;
}

export function ofKind(objects: KubernetesObject[], kind: string): any[] {
  return objects.filter((o) => o.kind === kind);
}

/** Every container of a pod template, sidecars (init containers) included. */
export function containersOf(deployment: any): any[] {
  const spec = deployment.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

const servicesDir = join(import.meta.dirname, "../../services");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

/**
 * The Prometheus series the services export: every metric a prom-client Counter, Gauge,
 * Histogram or Summary in services/ is named, with the series histograms and summaries add.
 */
export function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(servicesDir)) {
    const text = readFileSync(file, "utf8");
    if (!text.includes('from "prom-client"')) continue;
    for (const match of text.matchAll(/\bname(?::|\s*=)\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/g)) {
      const name = match[1] as string;
      names.add(name);
      for (const suffix of ["_count", "_sum", "_bucket"]) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

const promqlWords = new Set(["and", "or", "unless", "bool", "offset"]);

/** The metric names a PromQL expression selects: identifiers outside matchers that are not functions. */
export function metricsIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\boffset\s+\w+/g, " ");
  const names = [...stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map(
    (m) => m[1] as string,
  );
  return names.filter((name) => !promqlWords.has(name));
}
