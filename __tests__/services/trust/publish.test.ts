import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type PublishBucket,
  publishRepository,
  type UploadOptions,
} from "../../../services/trust/tuf/publish.ts";
import { addTargets, initRepository, rotateRoot } from "../../../services/trust/tuf/repository.ts";
import { testSigner } from "./support.ts";

interface Upload {
  name: string;
  bytes: number;
  options: UploadOptions;
}

/** Records uploads in the order they complete; each save yields first, as a network call would. */
function recordingBucket(fail?: string): PublishBucket & { uploads: Upload[] } {
  const uploads: Upload[] = [];
  return {
    uploads,
    file: (name) => ({
      async save(data, options) {
        await new Promise((resolve) => setImmediate(resolve));
        if (name === fail) throw new Error(`upload of ${name} failed`);
        uploads.push({ name, bytes: data.length, options });
      },
    }),
  };
}

const keys = { root: testSigner(), targets: testSigner(), online: testSigner() };
const signers = { root: [keys.root], targets: [keys.targets], snapshot: keys.online, timestamp: keys.online };
let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "signet-publish-")), "repository");
  await initRepository({ dir, signers, targets: { "trusted_root.json": Buffer.from("{}") } });
  await rotateRoot({ dir, currentRootSigners: [keys.root], signers: { root: [testSigner()] } });
  await addTargets({ dir, signers, targets: { "signing_config.v0.2.json": Buffer.from("{}") } });
});

afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

const position = (uploads: Upload[], name: string) => uploads.findIndex((upload) => upload.name === name);

describe("publishRepository", () => {
  it("uploads every file once, targets before the metadata that pins them and timestamp.json last", async () => {
    const bucket = recordingBucket();

    const names = await publishRepository({ dir, bucket });

    const uploaded = bucket.uploads.map((upload) => upload.name);
    expect(uploaded).toEqual(names);
    expect(uploaded.filter((name) => !name.startsWith("targets/")).sort()).toEqual([
      "1.root.json",
      "1.snapshot.json",
      "1.targets.json",
      "2.root.json",
      "2.snapshot.json",
      "2.targets.json",
      "root.json",
      "timestamp.json",
    ]);
    expect(uploaded.filter((name) => name.startsWith("targets/")).sort()).toEqual([
      expect.stringMatching(/^targets\/[0-9a-f]{64}\.signing_config\.v0\.2\.json$/),
      expect.stringMatching(/^targets\/[0-9a-f]{64}\.trusted_root\.json$/),
    ]);
    expect(uploaded.at(-1)).toBe("timestamp.json");
    const lastTarget = Math.max(...uploaded.map((name, i) => (name.startsWith("targets/") ? i : -1)));
    expect(lastTarget).toBeLessThan(position(bucket.uploads, "2.targets.json"));
    expect(position(bucket.uploads, "2.targets.json")).toBeLessThan(position(bucket.uploads, "2.root.json"));
    expect(position(bucket.uploads, "2.root.json")).toBeLessThan(position(bucket.uploads, "root.json"));
  });

  it("never lets the CDN cache the timestamp or the newest root, and caches everything versioned forever", async () => {
    const bucket = recordingBucket();

    await publishRepository({ dir, bucket, prefix: "tuf/" });

    const cacheControl = Object.fromEntries(
      bucket.uploads.map((upload) => [upload.name, upload.options.metadata.cacheControl]),
    );
    expect(cacheControl["tuf/timestamp.json"]).toBe("no-store");
    expect(cacheControl["tuf/root.json"]).toBe("no-store");
    for (const name of ["tuf/1.root.json", "tuf/2.snapshot.json", "tuf/2.targets.json"]) {
      expect(cacheControl[name]).toBe("public, max-age=31536000, immutable");
    }
    const target = bucket.uploads.find((upload) => upload.name.startsWith("tuf/targets/"));
    expect(target?.options.metadata.cacheControl).toBe("public, max-age=31536000, immutable");
    expect(bucket.uploads.every((upload) => upload.options.contentType === "application/json")).toBe(true);
    expect(bucket.uploads.every((upload) => upload.options.resumable === false)).toBe(true);
  });

  it("does not upload the timestamp when an earlier upload fails", async () => {
    const bucket = recordingBucket("2.snapshot.json");

    await expect(publishRepository({ dir, bucket })).rejects.toThrow(/2\.snapshot\.json/);

    expect(bucket.uploads.map((upload) => upload.name)).not.toContain("timestamp.json");
  });

  it("skips files an interrupted write left behind", async () => {
    await writeFile(join(dir, "timestamp.json.0b1c.tmp"), "{");
    const bucket = recordingBucket();

    await publishRepository({ dir, bucket });

    expect(bucket.uploads.some((upload) => upload.name.endsWith(".tmp"))).toBe(false);
  });
});
