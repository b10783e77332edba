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
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
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
        : issue.code === "invalid_type" && issue.input === undefined
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
