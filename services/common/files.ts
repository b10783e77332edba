import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError } from "./config.ts";

/** The file's text, or undefined when there is no such file; any other failure throws. */
export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Writes `content` to `path` atomically: a temporary file beside it, then linked into place, so
 * an existing file is never replaced unless `force` (then renamed over it). A file already there
 * refuses the write with `exists` as a one-line ConfigError.
 */
export async function writeFileOnce(
  path: string,
  content: string,
  force: boolean,
  exists: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, content, { mode: 0o644 });
  try {
    if (force) await rename(temporary, path);
    else await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new ConfigError(`${path}: ${exists}`);
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
