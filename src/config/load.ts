import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { type Bootstrap, bootstrapSchema, type Environment, environmentSchema } from "./schema.ts";

/** A configuration file that cannot be used; the message is one line naming file and field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

const defaultDir = resolve(import.meta.dirname, "../../stacks/environments");

/** Where environment files are read from: $SIGNET_CONFIG_DIR (private values) or the repository. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SIGNET_CONFIG_DIR ? resolve(env.SIGNET_CONFIG_DIR) : defaultDir;
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
    .join("");
}

function parseFile<T>(file: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, code === "ENOENT" ? "file not found" : `cannot read (${code})`);
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line;
    throw new ConfigError(
      file,
      `invalid YAML${line ? ` at line ${line}` : ""}: ${yamlError.message.split("\n")[0]}`,
    );
  }
  const result = schema.safeParse(document.toJS(), { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    if (!issue) throw new ConfigError(file, "invalid configuration");
    const where = issue.path.length > 0 ? formatPath(issue.path) : "(top level)";
    const what =
      issue.code === "unrecognized_keys"
        ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`
        : "input" in issue && issue.input === undefined
          ? "missing field"
          : issue.message;
    throw new ConfigError(file, `${where}: ${what}`);
  }
  return result.data;
}

/** Loads and validates `<dir>/<name>.yaml`; the file's `name` must match its file name. */
export function loadEnvironment(name: string, dir = configDir()): Environment {
  const file = join(dir, `${name}.yaml`);
  const environment = parseFile(file, environmentSchema);
  if (environment.name !== name) {
    throw new ConfigError(file, `name: "${environment.name}" does not match the file name "${name}"`);
  }
  return environment;
}

export function loadBootstrap(dir = configDir()): Bootstrap {
  return parseFile(join(dir, "bootstrap.yaml"), bootstrapSchema);
}

export interface Configuration {
  bootstrap: Bootstrap;
  environments: Environment[];
}

/** The bootstrap file and every environment it lists, checked against each other. */
export function loadConfiguration(dir = configDir()): Configuration {
  const bootstrap = loadBootstrap(dir);
  const environments = bootstrap.environments.map((name) => loadEnvironment(name, dir));
  for (const environment of environments) {
    // The federation trusts one repository; an environment naming another could never deploy.
    if (environment.github.repository !== bootstrap.github.repository) {
      throw new ConfigError(
        join(dir, `${environment.name}.yaml`),
        `github.repository: "${environment.github.repository}" differs from bootstrap.yaml's "${bootstrap.github.repository}"`,
      );
    }
  }
  unique(dir, environments, "state.bucket", (e) => e.state.bucket, [bootstrap.stateBucket]);
  // Environments are isolated from each other by living in separate projects.
  unique(dir, environments, "project.id", (e) => e.project.id, [bootstrap.project]);
  return { bootstrap, environments };
}

function unique(
  dir: string,
  environments: Environment[],
  field: string,
  read: (environment: Environment) => string,
  taken: string[],
): void {
  const seen = new Set(taken);
  for (const environment of environments) {
    const value = read(environment);
    if (seen.has(value)) {
      throw new ConfigError(
        join(dir, `${environment.name}.yaml`),
        `${field}: "${value}" is already used by bootstrap.yaml or another environment`,
      );
    }
    seen.add(value);
  }
}
