import { z } from "zod";

/** A configuration value that stops the process; the message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Variables whose values are never echoed back in an error message. */
const sensitiveName = /PASSWORD|SECRET|TOKEN|CREDENTIAL/i;

const nouns: Record<string, string> = {
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  string: "a string",
  url: "a URL",
};

function describesInteger(schema: z.ZodType | undefined): boolean {
  let inner: unknown = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap();
  return inner instanceof z.ZodNumber && inner.isInt;
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, limit: number | bigint): string {
  const lower = issue.code === "too_small";
  if (issue.origin === "string") {
    if (lower && limit === 1) return "must not be empty";
    return `must be at ${lower ? "least" : "most"} ${limit} characters`;
  }
  if (issue.inclusive) return `must be at ${lower ? "least" : "most"} ${limit}`;
  return `must be ${lower ? "greater" : "less"} than ${limit}`;
}

function describeProblem(issue: z.core.$ZodIssue, schema: z.ZodType | undefined): string {
  switch (issue.code) {
    case "invalid_type": {
      // z.coerce.number().int() fails as "not a number" before the integer check runs.
      const expected = issue.expected === "number" && describesInteger(schema) ? "int" : issue.expected;
      return `expected ${nouns[expected] ?? expected}`;
    }
    case "too_small":
      return bound(issue, issue.minimum);
    case "too_big":
      return bound(issue, issue.maximum);
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join(", ")}`;
    case "invalid_format":
      return `expected ${nouns[issue.format] ?? `a valid ${issue.format}`}`;
    default:
      return issue.message;
  }
}

function describeIssue(
  issue: z.core.$ZodIssue,
  shape: z.ZodRawShape,
  input: Record<string, unknown>,
): string {
  const name = String(issue.path[0] ?? "(environment)");
  const raw = input[name];
  if (raw === undefined) return `${name}: required but not set`;
  const shown = sensitiveName.test(name) ? "a value not shown here" : JSON.stringify(raw);
  return `${name}: ${describeProblem(issue, shape[name] as z.ZodType | undefined)}, got ${shown}`;
}

/**
 * Reads the variables named by `shape` from the environment and validates them. An empty
 * variable counts as unset, so `FOO=` in a manifest falls back to the default. Throws a
 * ConfigError describing the first problem.
 */
export function parseEnv<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const input: Record<string, unknown> = {};
  for (const name of Object.keys(shape)) {
    const value = env[name];
    if (value !== undefined && value !== "") input[name] = value;
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConfigError(issue ? describeIssue(issue, shape, input) : "invalid environment");
}

/**
 * Runs a service's entry point. A ConfigError ends the process with one line on stderr and no
 * stack; anything else is printed in full. Either way the exit status is 1.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`signet: ${error.message}\n`);
    else console.error(error);
    process.exit(1);
  }
}
