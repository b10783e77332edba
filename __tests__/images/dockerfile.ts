import { readFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "..", "..");

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, read just well enough to check and replay it: no variables, no heredocs. */
export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      const [from = "", , name = ""] = rest;
      stages.push({ name, from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

export function readStages(): Stage[] {
  return parseDockerfile(readFileSync(join(repoRoot, "Dockerfile"), "utf8"));
}

export function stage(stages: Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}

export function argsOf(target: Stage, keyword: string): string[] {
  return target.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** COPY sources from the build context (not from another stage), as written. */
export function contextSources(target: Stage): string[] {
  return argsOf(target, "COPY")
    .map((args) => args.split(" "))
    .filter((words) => !words.some((word) => word.startsWith("--from=")))
    .flatMap((words) => words.filter((word) => !word.startsWith("--")).slice(0, -1));
}

/** ENV lines in their `NAME=value` form. */
export function envOf(target: Stage): Record<string, string> {
  return Object.fromEntries(
    argsOf(target, "ENV").map((args) => {
      const at = args.indexOf("=");
      return [args.slice(0, at), args.slice(at + 1)];
    }),
  );
}

/** The exec-form ENTRYPOINT. */
export function entrypointOf(target: Stage): string[] {
  const [args] = argsOf(target, "ENTRYPOINT");
  return args === undefined ? [] : (JSON.parse(args) as string[]);
}

/** The services each image target runs. */
export const targets = ["log", "ca", "prober"] as const;
export type Target = (typeof targets)[number];

/** The stages whose RUN steps produce the production package.json and node_modules. */
export const buildStages = ["manifest", "dependencies"] as const;
