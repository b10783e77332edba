/**
 * The bad-input matrix of issue 3: every refusal is a 4xx with {code, message} and nothing else
 * (no stack trace), and writes nothing — the tree size never moves. The log spells it as Rekor's
 * Error (integer `code`, the HTTP status) with our code in `reason`. Then random input, which must
 * never get a 5xx.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, issueLeaf, type TestCertificate } from "../../support/pki.ts";
import { sigstoreMessage } from "./entries/support.ts";
import { append, hashedRekord, sha256, treeSize } from "./rekor-support.ts";
import { type RunningLog, startLog } from "./support.ts";

const SMALL_BODY_LIMIT = 2048;

let log: RunningLog;
let small: RunningLog;
let alice: TestCertificate;
let uuid: string;

beforeAll(async () => {
  [log, small] = await Promise.all([
    startLog(),
    startLog({ SIGNET_LOG_BODY_LIMIT: String(SMALL_BODY_LIMIT) }),
  ]);
  alice = await issueLeaf(log.ca, { email: "alice@signet.test" });
  for (let i = 0; i < 3; i++) [uuid] = await append(log.url, hashedRekord(randomBytes(32), alice));
});

afterAll(() => Promise.all([log.close(), small.close()]));

interface Sent {
  method?: "GET" | "POST";
  /** Raw text, or a value sent as JSON. */
  body?: unknown;
  contentType?: string | null;
}

async function send(
  url: string,
  path: string,
  options: Sent = {},
): Promise<{ status: number; text: string }> {
  const {
    method = options.body === undefined ? "GET" : "POST",
    body,
    contentType = "application/json",
  } = options;
  const headers: Record<string, string> = contentType === null ? {} : { "content-type": contentType };
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/**
 * A refusal as issue 3 wants it, in Rekor's shape: 4xx, exactly {code, message, reason}, no stack,
 * and nothing written.
 */
async function expectRefused(
  target: RunningLog,
  request: () => Promise<{ status: number; text: string }>,
  status: number,
  code?: string,
): Promise<void> {
  const before = await treeSize(target.url);
  const { status: got, text } = await request();
  expect(got, text).toBe(status);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["code", "message", "reason"]);
  expect(body.code).toBe(status);
  expect(body.reason).toMatch(/^[A-Z][A-Z0-9_]+$/);
  if (code) expect(body.reason).toBe(code);
  expect(typeof body.message).toBe("string");
  expect(body.message).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  expect(await treeSize(target.url)).toBe(before);
}

const entries = "/api/v1/log/entries";
/** `body` may be a function, called when the request is sent (after beforeAll made the PKI). */
const postEntry = (body: unknown, contentType?: string | null) => () =>
  send(log.url, entries, {
    method: "POST",
    body: typeof body === "function" ? body() : body,
    contentType,
  });

/** A valid proposal with one change applied, made when the request is sent. */
const proposalWith = (change: (spec: any) => void) => (): unknown => {
  const proposed = structuredClone(hashedRekord(randomBytes(32), alice)) as { spec: unknown };
  change(proposed.spec);
  return proposed;
};

describe("POST /api/v1/log/entries refuses", () => {
  it.each<[string, () => Promise<{ status: number; text: string }>, number, string?]>([
    ["malformed JSON", postEntry('{"kind": "hashedrekord", '), 400, "MALFORMED_REQUEST"],
    ["an empty body", postEntry(""), 400, "MALFORMED_REQUEST"],
    ["a JSON array", postEntry([]), 400, "MALFORMED_REQUEST"],
    ["JSON null", postEntry("null"), 400, "MALFORMED_REQUEST"],
    ["a prototype-poisoning body", postEntry('{"__proto__": {"x": 1}}'), 400],
    ["text/plain", postEntry("{}", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["a form", postEntry("kind=hashedrekord", "application/x-www-form-urlencoded"), 415],
    ["a body without a content type", postEntry("{}", null), 415],
    ["a missing spec", postEntry({ kind: "hashedrekord", apiVersion: "0.0.1" }), 400],
    ["a missing kind", postEntry({ apiVersion: "0.0.1", spec: {} }), 400],
    ["a missing signature", postEntry(proposalWith((s) => delete s.signature)), 400, "MALFORMED_ENTRY"],
    ["an unknown field", postEntry(proposalWith((s) => (s.extra = 1))), 400, "MALFORMED_ENTRY"],
    ["a spec that is not an object", postEntry({ kind: "hashedrekord", apiVersion: "0.0.1", spec: 1 }), 400],
    [
      "an unknown kind",
      postEntry({ kind: "rekord", apiVersion: "0.0.1", spec: {} }),
      400,
      "UNSUPPORTED_KIND",
    ],
    ["a prototype key as kind", postEntry({ kind: "constructor", apiVersion: "0.0.1", spec: {} }), 400],
    [
      "an unknown apiVersion",
      postEntry({ kind: "hashedrekord", apiVersion: "0.0.2", spec: {} }),
      400,
      "UNSUPPORTED_VERSION",
    ],
    [
      "a bad base64 signature",
      postEntry(proposalWith((s) => (s.signature.content = "not*base64!"))),
      400,
      "BAD_ENCODING",
    ],
    [
      "a public key that is not base64 PEM",
      postEntry(
        proposalWith((s) => (s.signature.publicKey.content = Buffer.from("hello").toString("base64"))),
      ),
      400,
    ],
    [
      "a hash of the wrong length",
      postEntry(proposalWith((s) => (s.data.hash.value = s.data.hash.value.slice(2)))),
      400,
      "BAD_HASH",
    ],
    ["a non-hex hash", postEntry(proposalWith((s) => (s.data.hash.value = "zz".repeat(32)))), 400],
    [
      "an unknown hash algorithm",
      postEntry(proposalWith((s) => (s.data.hash.algorithm = "md5"))),
      400,
      "BAD_HASH",
    ],
    [
      "a valid signature over another artifact",
      postEntry(
        proposalWith((s) => {
          s.signature.content = (hashedRekord(randomBytes(32), alice) as any).spec.signature.content;
        }),
      ),
      400,
      "INVALID_SIGNATURE",
    ],
    [
      "a hash the signature does not cover",
      postEntry(proposalWith((s) => (s.data.hash.value = sha256("other").toString("hex")))),
      400,
      "INVALID_SIGNATURE",
    ],
  ])("%s", async (_, request, status, code) => {
    await expectRefused(log, request, status, code);
  });

  it("a bare Ed25519 public key", async () => {
    const key = generateKey("ed25519");
    const proposed = sigstoreMessage(randomBytes(32), key, key.publicKeyPem).proposed;
    await expectRefused(log, postEntry(proposed), 400, "UNSUPPORTED_KEY");
  });

  it("a body over the configured limit, while a smaller one goes in", async () => {
    const padded = { kind: "hashedrekord", apiVersion: "0.0.1", spec: { pad: "x".repeat(SMALL_BODY_LIMIT) } };
    await expectRefused(small, () => send(small.url, entries, { body: padded }), 413, "PAYLOAD_TOO_LARGE");
    const proposed = hashedRekord(randomBytes(32), alice);
    expect(JSON.stringify(proposed).length).toBeLessThan(SMALL_BODY_LIMIT);
    await append(small.url, proposed);
  });

  it("a body over the default limit of 128 KiB", async () => {
    const padded = { kind: "hashedrekord", apiVersion: "0.0.1", spec: { pad: "x".repeat(128 * 1024) } };
    await expectRefused(log, postEntry(padded), 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("reads refuse", () => {
  const get = (path: string) => () => send(log.url, path);
  const hex = (n: number) => "a".repeat(n);

  it.each<[string, string, number]>([
    ["a log index past the end", `${entries}?logIndex=3`, 404],
    ["a log index far past the end", `${entries}?logIndex=${2 ** 53 - 1}`, 404],
    ["a log index beyond 2^53", `${entries}?logIndex=${2 ** 60}`, 400],
    ["a negative log index", `${entries}?logIndex=-1`, 400],
    ["a log index that is not a number", `${entries}?logIndex=abc`, 400],
    ["a fractional log index", `${entries}?logIndex=1.5`, 400],
    ["an empty log index", `${entries}?logIndex=`, 400],
    ["a missing log index", entries, 400],
    ["a UUID that is not hex", `${entries}/${"g".repeat(64)}`, 400],
    ["a UUID one digit short", `${entries}/${hex(63)}`, 400],
    ["a UUID one digit long", `${entries}/${hex(65)}`, 400],
    ["a UUID of 81 digits", `${entries}/${hex(81)}`, 400],
    ["an unknown leaf hash", `${entries}/${hex(64)}`, 404],
    ["an unknown tree prefix", `${entries}/${"f".repeat(16)}`, 404],
    ["firstSize > lastSize", "/api/v1/log/proof?firstSize=3&lastSize=2", 400],
    ["lastSize > treeSize", "/api/v1/log/proof?firstSize=1&lastSize=4", 400],
    ["firstSize 0", "/api/v1/log/proof?firstSize=0&lastSize=2", 400],
    ["a missing lastSize", "/api/v1/log/proof?firstSize=1", 400],
    ["a lastSize that is not a number", "/api/v1/log/proof?lastSize=two", 400],
    ["a proof for an unknown tree", "/api/v1/log/proof?lastSize=1&treeID=999", 404],
    ["a proof for a tree ID that is not a number", "/api/v1/log/proof?lastSize=1&treeID=abc", 400],
    ["the key of an unknown tree", "/api/v1/log/publicKey?treeID=999", 404],
    ["the key of a tree ID that is not a number", "/api/v1/log/publicKey?treeID=x", 400],
    ["an unknown route", "/api/v1/nothing", 404],
  ])("%s", async (_, path, status) => {
    const resolved = path.endsWith("f".repeat(16)) ? `${path}${uuid.slice(16)}` : path;
    await expectRefused(log, get(resolved), status);
  });
});

describe("searches refuse", () => {
  const retrieve = (body: unknown) => () => send(log.url, `${entries}/retrieve`, { body });
  const search = (body: unknown) => () => send(log.url, "/api/v1/index/retrieve", { body });
  const uuids = (n: number) => Array.from({ length: n }, () => randomBytes(32).toString("hex"));

  it.each<[string, () => Promise<{ status: number; text: string }>, number, string?]>([
    ["too many UUIDs", retrieve({ entryUUIDs: uuids(11) }), 400],
    ["too many log indexes", retrieve({ logIndexes: Array.from({ length: 11 }, (_, i) => i) }), 400],
    ["too many lookups in all", retrieve({ entryUUIDs: uuids(6), logIndexes: [0, 1, 2, 3, 4] }), 422],
    ["a malformed UUID", retrieve({ entryUUIDs: ["xyz"] }), 400],
    ["a negative log index", retrieve({ logIndexes: [-1] }), 400],
    [
      "an invalid proposed entry",
      retrieve({ entries: [{ kind: "rekord", apiVersion: "0.0.1", spec: {} }] }),
      400,
    ],
    ["a query that is not an object", retrieve([uuid]), 400],
    ["an empty index query", search({}), 400],
    [
      "an unsupported key format",
      search({ publicKey: { format: "pgp", content: Buffer.from("key").toString("base64") } }),
      400,
      "UNSUPPORTED_KEY_FORMAT",
    ],
    ["an unknown key format", search({ publicKey: { format: "gpg", content: "a2V5" } }), 400],
    ["key content that is not a key", search({ publicKey: { format: "x509", content: "a2V5" } }), 400],
    ["a key given by URL", search({ publicKey: { format: "x509", url: "http://127.0.0.1/key" } }), 400],
    ["a SHA-1 prefix on a longer hash", search({ hash: `sha1:${"a".repeat(64)}` }), 400, "BAD_HASH"],
    ["a hash of no known length", search({ hash: "abc" }), 400, "BAD_HASH"],
    ["an email without @", search({ email: "alice" }), 400],
    ["an unknown operator", search({ email: "alice@signet.test", operator: "xor" }), 400],
    ["an unknown criterion", search({ color: "red" }), 400],
  ])("%s", async (_, request, status, code) => {
    await expectRefused(log, request, status, code);
  });
});

describe("random input", () => {
  const runs = { numRuns: 40 };
  const jsonValue = fc.jsonValue({ maxDepth: 4 });
  const status = async (path: string, body?: unknown) => (await send(log.url, path, { body })).status;
  let valid: Record<string, unknown>;

  beforeAll(() => {
    valid = hashedRekord(randomBytes(32), alice) as Record<string, unknown>;
  });

  it("never gets a 5xx from the POST endpoints, and writes nothing", async () => {
    const before = await treeSize(log.url);
    const proposal = fc.record({
      kind: fc.oneof(fc.constantFrom("hashedrekord", "dsse", "intoto"), fc.string()),
      apiVersion: fc.oneof(fc.constantFrom("0.0.1", "0.0.2"), fc.string()),
      spec: jsonValue,
    });
    for (const path of [entries, `${entries}/retrieve`, "/api/v1/index/retrieve"]) {
      await fc.assert(
        fc.asyncProperty(fc.oneof(jsonValue, proposal), async (body) => {
          expect(await status(path, body)).toBeLessThan(500);
        }),
        runs,
      );
    }
    expect(await treeSize(log.url)).toBe(before);
  });

  it("never gets a 5xx for a valid entry with one value replaced", async () => {
    const before = await treeSize(log.url);
    const paths = leafPaths(valid);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), jsonValue, async (path, value) => {
        const mutated = structuredClone(valid);
        setAt(mutated, path, value);
        fc.pre(JSON.stringify(mutated) !== JSON.stringify(valid));
        expect(await status(entries, mutated)).toBeLessThan(500);
      }),
      { numRuns: 80 },
    );
    expect(await treeSize(log.url)).toBe(before);
  });

  it("never gets a 5xx for random query strings and path segments", async () => {
    const text = fc.string({ maxLength: 90 }).map(encodeURIComponent);
    await fc.assert(
      fc.asyncProperty(text, text, async (a, b) => {
        for (const path of [
          `${entries}?logIndex=${a}`,
          `${entries}/${a}`,
          `/api/v1/log/proof?firstSize=${a}&lastSize=${b}`,
          `/api/v1/log/proof?lastSize=1&treeID=${a}`,
          `/api/v1/log/publicKey?treeID=${a}`,
          `/api/v1/log?stable=${a}`,
        ]) {
          expect(await status(path), path).toBeLessThan(500);
        }
      }),
      runs,
    );
  });
});

/** Paths to every primitive value in a JSON document. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function setAt(target: Record<string, any>, path: string[], value: unknown): void {
  const parent = path.slice(0, -1).reduce((node, key) => node[key], target);
  parent[path[path.length - 1] as string] = value;
}
