/**
 * `npm run plan -- <stack> [--text] [-- <terraform plan args>]`: synthesizes every stack, then
 * runs `terraform init` and `terraform plan -out=tfplan` in `cdktf.out/stacks/<stack>`, so that
 * `terraform apply tfplan` there applies exactly what was reviewed. `--text` also writes the
 * plan as plain text to `plan.txt` beside it (for pull-request comments). The exit code is
 * terraform's.
 */
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";

const root = dirname(import.meta.dirname);
const stacksDir = join(root, "cdktf.out", "stacks");

function run(command: string, args: string[], options: SpawnSyncOptions = {}): number {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.error) {
    console.error(`plan: cannot run ${command}: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

function plan(argv: string[]): number {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const planArgs = split === -1 ? [] : argv.slice(split + 1);
  const text = own.includes("--text") || planArgs.includes("--text");
  const positional = own.filter((arg) => arg !== "--text");
  if (positional.length !== 1) {
    console.error("usage: npm run plan -- <stack> [--text] [-- <terraform plan args>]");
    return 2;
  }
  const stack = positional[0] as string;

  const synth = run(process.execPath, [join(root, "stacks", "main.ts")], { cwd: root });
  if (synth !== 0) return synth;
  const dir = join(stacksDir, stack);
  if (!existsSync(dir)) {
    const available = existsSync(stacksDir) ? readdirSync(stacksDir).join(", ") : "none";
    console.error(`plan: no stack "${stack}" in cdktf.out/stacks (available: ${available})`);
    return 2;
  }

  const terraform = (args: string[], options: SpawnSyncOptions = {}) =>
    run("terraform", args, { cwd: dir, ...options });
  const init = terraform(["init", "-input=false"]);
  if (init !== 0) return init;
  const planned = terraform([
    "plan",
    "-input=false",
    "-out=tfplan",
    ...planArgs.filter((arg) => arg !== "--text"),
  ]);
  if (planned !== 0 || !text) return planned;
  const out = openSync(join(dir, "plan.txt"), "w");
  try {
    return terraform(["show", "-no-color", "tfplan"], { stdio: ["ignore", out, "inherit"] });
  } finally {
    closeSync(out);
  }
}

process.exitCode = plan(process.argv.slice(2));
