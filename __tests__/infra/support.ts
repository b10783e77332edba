import type { Construct } from "constructs";
import { Testing } from "../../src/cdktf.ts";
import { loadEnvironment } from "../../src/config/load.ts";
import type { Environment } from "../../src/config/schema.ts";

/** Synthesized Terraform JSON: `resource.<type>.<name>` holds each resource's arguments. */
export interface Synthesized {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean }>;
  terraform?: Record<string, unknown>;
  provider?: Record<string, unknown[]>;
}

/** Synthesizes whatever `build` adds to a bare test stack and returns the parsed JSON. */
export function synthConstruct(build: (scope: Construct) => void): Synthesized {
  return JSON.parse(Testing.synthScope(build)) as Synthesized;
}

/** Every resource of one type in a synthesized document, as [name, arguments] pairs. */
export function resourcesOf(doc: Synthesized, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(doc.resource?.[type] ?? {});
}

/** The single resource of a type; fails the test when there is not exactly one. */
export function onlyResource(doc: Synthesized, type: string): Record<string, unknown> {
  const found = resourcesOf(doc, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return (found[0] as [string, Record<string, unknown>])[1];
}

/** The committed example environments, as the stacks see them. */
export const staging: Environment = loadEnvironment("staging");
export const production: Environment = loadEnvironment("production");
