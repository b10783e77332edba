import { createHash, randomBytes, randomInt } from "node:crypto";
import { ProbeError } from "../errors.ts";
import type { ShardHead } from "../monitor.ts";
import type { ProbeResponse, Round } from "../recorder.ts";
import type { WrittenEntry } from "./write.ts";

// The read probes of every endpoint clients use (sigstore-probers prober/endpoints.go), each
// checking that a 2xx answer also has the shape clients rely on.

function expect(condition: unknown, what: string): void {
  if (!condition) throw new ProbeError("BAD_RESPONSE", what);
}

function jsonOf(response: ProbeResponse): Record<string, unknown> {
  const body = response.json();
  expect(typeof body === "object" && body !== null, "not a JSON object");
  return body as Record<string, unknown>;
}

const hasPem = (label: string) => (response: ProbeResponse) =>
  expect(response.text().includes(`-----BEGIN ${label}-----`), `no PEM ${label.toLowerCase()}`);

export async function probeCa(round: Round, ca: string): Promise<void> {
  await Promise.all([
    round.request("ca", {
      url: `${ca}/api/v2/configuration`,
      check: (r) => expect(Array.isArray(jsonOf(r).issuers), "no issuers"),
    }),
    round.request("ca", {
      url: `${ca}/api/v2/trustBundle`,
      check: (r) => {
        const chains = jsonOf(r).chains as Array<{ certificates?: unknown[] }> | undefined;
        expect(chains?.[0]?.certificates?.length, "no certificate chain");
      },
    }),
    round.request("ca", { url: `${ca}/api/v1/rootCert`, check: hasPem("CERTIFICATE") }),
  ]);
}

/** GET /api/v1/log: the active shard's head and, in `inactiveShards`, the frozen ones. */
export interface LogInfo {
  active: ShardHead;
  inactive: ShardHead[];
}

function shardHeadOf(value: unknown): ShardHead {
  const head = (value ?? {}) as Record<string, unknown>;
  expect(
    typeof head.treeID === "string" &&
      Number.isSafeInteger(head.treeSize) &&
      typeof head.rootHash === "string" &&
      typeof head.signedTreeHead === "string",
    "log info lacks treeID, treeSize, rootHash or signedTreeHead",
  );
  return {
    treeId: head.treeID as string,
    treeSize: head.treeSize as number,
    rootHash: head.rootHash as string,
    signedTreeHead: head.signedTreeHead as string,
  };
}

function logInfoOf(response: ProbeResponse): LogInfo {
  const body = jsonOf(response);
  const inactive = body.inactiveShards ?? [];
  expect(Array.isArray(inactive), "inactiveShards is not a list");
  return { active: shardHeadOf(body), inactive: (inactive as unknown[]).map(shardHeadOf) };
}

/**
 * The Rekor read API: log info, public key, one random entry per shard, a consistency proof, and
 * retrieval and index search for the entry the write probe made (or a random one).
 */
export async function probeRekor(
  round: Round,
  rekor: string,
  written: WrittenEntry | undefined,
): Promise<LogInfo | undefined> {
  let info: LogInfo | undefined;
  await round.request("rekor", {
    url: `${rekor}/api/v1/log`,
    check: (r) => {
      info = logInfoOf(r);
    },
  });
  await round.request("rekor", { url: `${rekor}/api/v1/log/publicKey`, check: hasPem("PUBLIC KEY") });
  if (!info) return undefined;
  const { active } = info;
  await Promise.all([
    probeRandomEntries(round, rekor, info),
    active.treeSize > 0 ? probeProof(round, rekor, active) : undefined,
    written ? probeWrittenEntry(round, rekor, written) : undefined,
  ]);
  return info;
}

/** Global log indexes run through the inactive shards in order, then the active one (Rekor). */
async function probeRandomEntries(round: Round, rekor: string, info: LogInfo): Promise<void> {
  let offset = 0;
  const lookups: Array<Promise<unknown>> = [];
  for (const shard of [...info.inactive, info.active]) {
    if (shard.treeSize > 0) {
      const logIndex = offset + randomInt(shard.treeSize);
      lookups.push(
        round.request("rekor", {
          url: `${rekor}/api/v1/log/entries?logIndex=${logIndex}`,
          check: (r) => expectEntries(r, [logIndex]),
        }),
      );
    }
    offset += shard.treeSize;
  }
  await Promise.all(lookups);
}

function expectEntries(response: ProbeResponse, logIndexes: number[]): void {
  const body = response.json();
  const entries = (Array.isArray(body) ? body : [body]).flatMap((e) => Object.values(e as object));
  const found = entries.map((e) => (e as { logIndex?: unknown }).logIndex);
  expect(
    logIndexes.every((i) => found.includes(i)),
    `expected log index ${logIndexes.join(", ")}, got ${found.join(", ") || "none"}`,
  );
}

async function probeProof(round: Round, rekor: string, active: ShardHead): Promise<void> {
  await round.request("rekor", {
    url: `${rekor}/api/v1/log/proof?firstSize=1&lastSize=${active.treeSize}`,
    check: (r) => {
      const proof = jsonOf(r);
      expect(Array.isArray(proof.hashes), "no hashes");
      expect(proof.rootHash === active.rootHash, "proof ends at another root than the log reported");
    },
  });
}

async function probeWrittenEntry(round: Round, rekor: string, written: WrittenEntry): Promise<void> {
  await Promise.all([
    round.request("rekor", {
      url: `${rekor}/api/v1/log/entries/retrieve`,
      json: { logIndexes: [written.logIndex] },
      check: (r) => expectEntries(r, [written.logIndex]),
    }),
    round.request("rekor", {
      url: `${rekor}/api/v1/index/retrieve`,
      json: { hash: `sha256:${written.artifactDigest}` },
      check: (r) => {
        const uuids = r.json();
        expect(Array.isArray(uuids) && uuids.length > 0, "the entry just written is not in the index");
      },
    }),
  ]);
}

export async function probeCtLog(round: Round, ctlog: string): Promise<void> {
  await round.request("ctlog", {
    url: `${ctlog}/ct/v1/get-sth`,
    check: (r) => {
      const sth = jsonOf(r);
      expect(Number.isSafeInteger(sth.tree_size) && typeof sth.tree_head_signature === "string", "no STH");
    },
  });
}

export async function probeTsa(round: Round, tsa: string): Promise<void> {
  const artifactHash = createHash("sha256").update(randomBytes(32)).digest("base64");
  await Promise.all([
    round.request("tsa", { url: `${tsa}/api/v1/timestamp/certchain`, check: hasPem("CERTIFICATE") }),
    round.request("tsa", {
      url: `${tsa}/api/v1/timestamp`,
      json: { artifactHash, hashAlgorithm: "sha256" },
      // A DER TimeStampResp is a SEQUENCE.
      check: (r) => expect(r.body[0] === 0x30, "not a DER TimeStampResp"),
    }),
  ]);
}

/** The file a TUF client fetches first and most often; it expires soonest. */
export async function probeTuf(round: Round, mirror: string): Promise<void> {
  await round.request("tuf", {
    url: `${mirror}/timestamp.json`,
    check: (r) => {
      const signed = jsonOf(r).signed as { _type?: unknown; expires?: unknown } | undefined;
      expect(signed?._type === "timestamp", "not TUF timestamp metadata");
      expect(Date.parse(String(signed?.expires)) > Date.now(), "timestamp metadata has expired");
    },
  });
}
