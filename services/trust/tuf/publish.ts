import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/**
 * Uploads a repository directory to the environment's TUF bucket (behind Cloud CDN). Order and
 * caching keep a client from ever seeing a timestamp that names files not yet uploaded, or a
 * stale timestamp: TUF spec §6.1 — targets, then the metadata that pins them, `timestamp.json`
 * last; the mutable names are never cached, the versioned and hash-named ones forever.
 */
export interface UploadOptions {
  resumable: false;
  contentType: string;
  metadata: { cacheControl: string; contentType: string };
}

/** The part of a `@google-cloud/storage` Bucket publishing uses; tests pass a recording fake. */
export interface PublishBucket {
  file(name: string): { save(data: Buffer, options: UploadOptions): Promise<unknown> };
}

export interface PublishOptions {
  dir: string;
  bucket: PublishBucket;
  /** Object name prefix, e.g. `tuf/`; empty by default. */
  prefix?: string;
  /** Uploads in flight at once within a phase. */
  concurrency?: number;
}

// Cloud CDN caches nothing marked no-store; the new timestamp is visible on the next request.
export const mutableCacheControl = "no-store";
export const immutableCacheControl = "public, max-age=31536000, immutable";

const versionedMetadata = /^\d+\.[a-z]+\.json$/;
const versionedRoot = /^\d+\.root\.json$/;

/** Upload phases, in order; a file belongs to the first phase that matches it. */
const phases: ((name: string) => boolean)[] = [
  (name) => name.startsWith("targets/"),
  (name) => versionedMetadata.test(name) && !versionedRoot.test(name),
  (name) => versionedRoot.test(name),
  (name) => name !== "timestamp.json",
  () => true,
];

export function cacheControlOf(name: string): string {
  return name.startsWith("targets/") || versionedMetadata.test(name)
    ? immutableCacheControl
    : mutableCacheControl;
}

function contentTypeOf(name: string): string {
  if (name.endsWith(".json")) return "application/json";
  if (name.endsWith(".pem")) return "application/x-pem-file";
  return "application/octet-stream";
}

/** Repository files by their path inside it, with `/` separators; interrupted writes are skipped. */
async function repositoryFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.endsWith(".tmp"))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Uploads every file of the repository, `timestamp.json` last; answers the names in upload order. */
export async function publishRepository(options: PublishOptions): Promise<string[]> {
  const { dir, bucket, prefix = "", concurrency = 8 } = options;
  const remaining = new Set(await repositoryFiles(dir));
  const uploaded: string[] = [];
  for (const phase of phases) {
    const names = [...remaining].filter(phase);
    for (const name of names) remaining.delete(name);
    await inParallel(names, concurrency, async (name) => {
      const contentType = contentTypeOf(name);
      await bucket.file(`${prefix}${name}`).save(await readFile(join(dir, name)), {
        resumable: false,
        contentType,
        metadata: { cacheControl: cacheControlOf(name), contentType },
      });
      uploaded.push(name);
    });
  }
  return uploaded;
}

/** The named bucket with application default credentials; the client is loaded only when used. */
export async function gcsBucket(name: string): Promise<PublishBucket> {
  const { Storage } = await import("@google-cloud/storage");
  return new Storage().bucket(name);
}
