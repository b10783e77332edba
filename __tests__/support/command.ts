// A command-line entry run as its container would run it: `node <entry>` with only the given
// environment (and PATH); its exit code and output, failure included.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <entry>` (relative to the repository root) and waits for it to exit. */
export function runEntry(entry: string, env: Record<string, string>): Promise<CommandResult> {
  return run(process.execPath, [join(root, entry)], { env: { PATH: process.env.PATH ?? "", ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CommandResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}
