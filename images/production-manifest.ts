import { readdir, readFile, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join } from "node:path";

// The images install what services/ imports, not what package.json lists as dependencies: the
// root manifest also carries the infrastructure code's packages (cdktf and its CLI, providers),
// and the prober imports the sigstore client, which is a devDependency for the tests' sake.

export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

// Value imports, re-exports, side-effect imports and literal dynamic imports. `import type` is
// erased by Node's type stripping and needs nothing at run time.
const specifiers =
  /(?:^|[\s;])(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const builtins = new Set(builtinModules);

/** The npm package a bare specifier names; undefined for relative paths and Node built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:"))
    return undefined;
  const segments = specifier.split("/");
  const name = specifier.startsWith("@") ? segments.slice(0, 2).join("/") : (segments[0] as string);
  return builtins.has(name) ? undefined : name;
}

/** Every package the source text imports at run time. */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(specifiers)) {
    const name = packageOf(match[1] ?? match[2] ?? "");
    if (name) names.add(name);
  }
  return [...names];
}

/** Every package the TypeScript files under `dir` import at run time, sorted. */
export async function runtimePackages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const names = new Set<string>();
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    for (const name of importedPackages(await readFile(join(entry.parentPath, entry.name), "utf8"))) {
      names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * The manifest an image installs: the root manifest's identity and module type, and as
 * dependencies exactly `packages`, at the versions the root manifest pins (in either list).
 */
export function productionManifest(root: PackageManifest, packages: readonly string[]): PackageManifest {
  const declared = { ...root.devDependencies, ...root.dependencies };
  const dependencies: Record<string, string> = {};
  for (const name of packages) {
    const version = declared[name];
    if (version === undefined)
      throw new Error(`services/ imports ${name}, which package.json does not declare`);
    dependencies[name] = version;
  }
  return {
    name: root.name,
    version: root.version,
    private: true,
    ...(root.type ? { type: root.type } : {}),
    ...(root.engines ? { engines: root.engines } : {}),
    dependencies,
  };
}

// `node images/production-manifest.ts` in a directory holding package.json and services/ (the
// image's build stage) rewrites package.json; `npm install --package-lock-only` then prunes the
// lock to match, keeping every remaining package at its locked version.
if (import.meta.main) {
  const root = JSON.parse(await readFile("package.json", "utf8")) as PackageManifest;
  const manifest = productionManifest(root, await runtimePackages("services"));
  await writeFile("package.json", `${JSON.stringify(manifest, null, 2)}\n`);
}
