/**
 * `node .github/scripts/manifest-diff.ts <dir>`: compares the manifests rendered for a pull
 * request's base (`<dir>/base/<env>/`) and head (`<dir>/head/<env>/`), environment by
 * environment, with `git diff --no-index`. Writes `<dir>/comments.json` (one entry per
 * environment: whether it changed and a comment body that fits a GitHub comment) and prints the
 * same bodies as Markdown for the job summary.
 *
 * It runs in the job that executes the pull request's code, which holds a read-only token; the
 * job that posts the comments adds the marker it finds them by and never runs repository code.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** GitHub refuses issue and pull-request comments longer than this many characters. */
export const commentLimit = 65_536;
/** Room left in each comment for the marker the posting job puts in front of the body. */
export const markerReserve = 256;
/** A step summary may hold 1 MiB; the environments share most of it. */
const summaryLimit = 900_000;

export interface FileChange {
  path: string;
  added: number;
  removed: number;
}

export interface ManifestDiff {
  environment: string;
  /** The unified diff, paths shown as `base/<env>/<file>` and `head/<env>/<file>`. */
  diff: string;
  files: FileChange[];
}

export interface Revisions {
  base: string;
  head: string;
  runUrl?: string;
}

const environmentName = /^[a-z][a-z0-9-]*$/;

/** Environments rendered on either side; one present on a single side is all added or all removed. */
export function environmentsIn(dir: string): string[] {
  const names = new Set<string>();
  for (const side of ["base", "head"]) {
    const root = join(dir, side);
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (entry.isDirectory() && environmentName.test(entry.name)) names.add(entry.name);
    }
  }
  return [...names].sort();
}

/** `git diff --no-index` of one environment; exit status 1 means "differs", not failure. */
export function diffEnvironment(dir: string, environment: string): ManifestDiff {
  for (const side of ["base", "head"]) mkdirSync(join(dir, side, environment), { recursive: true });
  const result = spawnSync(
    "git",
    [
      "-c",
      "core.quotePath=false",
      "diff",
      "--no-index",
      "--no-color",
      "--src-prefix=",
      "--dst-prefix=",
      join("base", environment),
      join("head", environment),
    ],
    { cwd: dir, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 },
  );
  if (result.error) throw new Error(`manifest-diff: cannot run git: ${result.error.message}`);
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`manifest-diff: git diff for ${environment} failed: ${result.stderr.trim()}`);
  }
  return { environment, diff: result.stdout, files: fileChanges(result.stdout) };
}

/** Lines added and removed per file, read from the diff's own headers and hunks. */
export function fileChanges(diff: string): FileChange[] {
  const files: FileChange[] = [];
  let current: FileChange | undefined;
  let inHunk = false;
  for (const line of diff.split("\n")) {
    const header = /^diff --git (\S+) (\S+)$/.exec(line);
    if (header) {
      const [, from = "", to = ""] = header;
      // Paths are base/<env>/<file> and head/<env>/<file>; show the one that exists.
      const path = (to.startsWith("head/") ? to : from).split("/").slice(2).join("/");
      current = { path, added: 0, removed: 0 };
      files.push(current);
      inHunk = false;
    } else if (line.startsWith("@@")) {
      inHunk = true;
    } else if (current && inHunk && line.startsWith("+")) {
      current.added += 1;
    } else if (current && inHunk && line.startsWith("-")) {
      current.removed += 1;
    }
  }
  return files;
}

/** A fence longer than any run of backticks in the text, so the diff cannot close it early. */
function fenceFor(text: string): string {
  const longest = Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

/** The longest prefix of whole lines that fits in `room` characters. */
function cutAtLine(text: string, room: number): string {
  if (text.length <= room) return text;
  const cut = text.lastIndexOf("\n", room);
  return cut <= 0 ? "" : text.slice(0, cut + 1);
}

const short = (sha: string) => sha.slice(0, 7);

/**
 * The Markdown for one environment: a headline with the counts, the changed files, and the
 * diff in a collapsed block, cut at a line boundary so the whole body stays within `limit`.
 */
export function commentBody(
  change: ManifestDiff,
  revisions: Revisions,
  limit = commentLimit - markerReserve,
): string {
  const added = change.files.reduce((sum, f) => sum + f.added, 0);
  const removed = change.files.reduce((sum, f) => sum + f.removed, 0);
  const run = revisions.runUrl ? ` ([run](${revisions.runUrl}))` : "";
  const compared = `Rendered at base \`${short(revisions.base)}\` and head \`${short(revisions.head)}\`${run}.\n`;
  if (change.files.length === 0) {
    return `### Rendered manifests, \`${change.environment}\`: no changes\n\n${compared}`;
  }
  const count = `${change.files.length} file${change.files.length === 1 ? "" : "s"}`;
  const headline = `### Rendered manifests, \`${change.environment}\`: ${count} changed (+${added} −${removed})\n\n`;
  const listed = change.files.slice(0, 50).map((f) => `- \`${f.path}\` (+${f.added} −${f.removed})`);
  if (change.files.length > listed.length) listed.push(`- … and ${change.files.length - listed.length} more`);
  const head = `${headline}${compared}\n${listed.join("\n")}\n\n`;

  const fence = fenceFor(change.diff);
  const open = `<details><summary>Diff</summary>\n\n${fence}diff\n`;
  const close = `${fence}\n</details>\n`;
  const diff = change.diff.endsWith("\n") ? change.diff : `${change.diff}\n`;
  const fits = head.length + open.length + diff.length + close.length <= limit;
  if (fits) return head + open + diff + close;

  const total = diff.split("\n").length - 1;
  const note = (shown: number) =>
    `\n**Truncated** after ${shown} of ${total} diff lines: the whole diff is in the run's summary and its \`manifests-diff\` artifact.\n`;
  const room = limit - head.length - open.length - close.length - note(total).length;
  const text = cutAtLine(diff, Math.max(0, room));
  return `${head}${open}${text}${close}${note(text.split("\n").length - 1)}`;
}

export interface Comment {
  environment: string;
  changed: boolean;
  body: string;
}

/** Every environment's comment, and the job summary that holds the same diffs at a larger size. */
export function manifestComments(
  dir: string,
  revisions: Revisions,
): { comments: Comment[]; summary: string } {
  const changes = environmentsIn(dir).map((environment) => diffEnvironment(dir, environment));
  const comments = changes.map((change) => ({
    environment: change.environment,
    changed: change.files.length > 0,
    body: commentBody(change, revisions),
  }));
  const share = Math.floor(summaryLimit / Math.max(1, changes.length));
  const summary = changes.map((change) => commentBody(change, revisions, share)).join("\n");
  return { comments, summary: summary || "No rendered manifests on either side.\n" };
}

if (import.meta.main) {
  const [dir, ...rest] = process.argv.slice(2);
  const { BASE_SHA: base, HEAD_SHA: head, RUN_URL: runUrl } = process.env;
  if (!dir || rest.length > 0 || !base || !head) {
    console.error(
      "usage: BASE_SHA=<sha> HEAD_SHA=<sha> [RUN_URL=<url>] node .github/scripts/manifest-diff.ts <dir>",
    );
    process.exit(2);
  }
  const { comments, summary } = manifestComments(dir, { base, head, ...(runUrl ? { runUrl } : {}) });
  writeFileSync(join(dir, "comments.json"), `${JSON.stringify(comments, null, 2)}\n`);
  process.stdout.write(summary);
}
