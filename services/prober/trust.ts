import { createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { getTrustedRoot } from "@sigstore/tuf";
import type { TrustRootConfig } from "./config.ts";

/** A transparency log's key as the trusted root lists it. */
export interface LogKey {
  baseUrl: string;
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo; its SHA-256 prefix is the checkpoint key hint. */
  spki: Buffer;
}

/**
 * The trusted root as a client gets it: through TUF from the instance's mirror (refreshed on each
 * call, so an expired timestamp or a broken repository fails the round), or from a file.
 */
export async function loadTrustedRoot(config: TrustRootConfig, timeoutMs: number): Promise<TrustedRoot> {
  if (config.kind === "file") {
    return TrustedRoot.fromJSON(JSON.parse(await readFile(config.path, "utf8")));
  }
  return getTrustedRoot({
    mirrorURL: config.mirrorUrl,
    rootPath: config.rootPath,
    cachePath: config.cachePath,
    timeout: timeoutMs,
    // The round reports failures; retrying would hide them.
    retry: false,
  });
}

/** Every Rekor key in the trusted root; a key that Node cannot load is left out. */
export function logKeysOf(root: TrustedRoot): LogKey[] {
  return root.tlogs.flatMap((tlog) => {
    const spki = tlog.publicKey?.rawBytes;
    if (!spki) return [];
    try {
      const publicKey = createPublicKey({ key: spki, format: "der", type: "spki" });
      return [{ baseUrl: tlog.baseUrl, publicKey, spki }];
    } catch {
      return [];
    }
  });
}
