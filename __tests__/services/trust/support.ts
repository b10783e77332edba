import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { getTrustedRoot } from "@sigstore/tuf";
import type { KeyAlgorithm, Signer } from "../../../services/common/signer/index.ts";
import { ephemeralSigner } from "../../../services/common/signer/local.ts";

/** A signer over a fresh in-memory key, as a key file or KMS key would sign. */
export const testSigner = (algorithm: KeyAlgorithm = "ecdsa-p256-sha256"): Signer =>
  ephemeralSigner(algorithm);

export interface Mirror {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves a repository directory over loopback HTTP, as the CDN bucket does; 404 for anything missing. */
export async function serveDirectory(dir: string): Promise<Mirror> {
  const requests: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://mirror").pathname);
    requests.push(path);
    try {
      const body = await readFile(join(dir, normalize(path).replace(/^(\.\.[/\\])+/, "")));
      response.writeHead(200, { "content-type": "application/json" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The trusted root as sigstore-js loads it: @sigstore/tuf over HTTP from `rootPath`. */
export function fetchTrustedRoot(mirror: Mirror, rootPath: string, cachePath: string) {
  return getTrustedRoot({ mirrorURL: mirror.url, rootPath, cachePath, retry: false, timeout: 5000 });
}
