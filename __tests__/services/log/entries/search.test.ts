import { beforeAll, describe, expect, it } from "vitest";
import { searchKeysForQuery, validateProposedEntry } from "../../../../services/log/entries/index.ts";
import { createCa, issueLeaf, type TestCertificate } from "../../../support/pki.ts";
import * as F from "./fixtures.ts";
import { b64, hexDigestOf, rejectionOf, sigstoreMessage } from "./support.ts";

const WORKFLOW = "https://github.com/Example/Repo/.github/workflows/release.yml@refs/heads/main";
let cert: TestCertificate;

beforeAll(async () => {
  cert = await issueLeaf(await createCa(), { email: "Alice@Example.com", uri: WORKFLOW });
});

describe("search keys for POST /api/v1/index/retrieve", () => {
  it("finds an entry by each criterion it was indexed under", () => {
    const artifact = Buffer.from("indexed artifact");
    const entry = validateProposedEntry(sigstoreMessage(artifact, cert.key, cert.pem).proposed);
    const queries = [
      { hash: `sha256:${hexDigestOf(artifact)}` },
      { hash: hexDigestOf(artifact).toUpperCase() },
      { publicKey: { format: "x509", content: b64(cert.pem) } },
      { publicKey: { format: "x509", content: b64(cert.key.publicKeyPem) } },
      { email: "ALICE@example.com" },
      { subject: WORKFLOW },
    ];
    for (const query of queries) {
      const [group] = searchKeysForQuery(query).keys;
      expect(
        group?.some((key) => entry.searchKeys.includes(key)),
        JSON.stringify(query),
      ).toBe(true);
    }
  });

  it("gives one group per criterion, and the operator, 'or' by default", () => {
    expect(searchKeysForQuery({ hash: F.FIXED_ARTIFACT_SHA256, email: "a@b.c" })).toEqual({
      keys: [[`hash:sha256:${F.FIXED_ARTIFACT_SHA256}`], ["email:a@b.c"]],
      operator: "or",
    });
    expect(
      searchKeysForQuery({ publicKey: { format: "x509", content: F.FIXED_KEY_CONTENT }, operator: "and" }),
    ).toEqual({
      keys: [[`key:sha256:${F.FIXED_KEY_SPKI_SHA256}`]],
      operator: "and",
    });
    expect(searchKeysForQuery({})).toEqual({ keys: [], operator: "or" });
  });

  it("matches a subject against URI and email SANs alike, as Rekor does", () => {
    expect(searchKeysForQuery({ subject: "Alice@Example.com" }).keys).toEqual([
      ["subject:alice@example.com", "email:alice@example.com"],
    ]);
  });

  it("takes a SHA-1 digest, which Rekor's SearchIndex admits, under a key nothing is logged with", () => {
    expect(searchKeysForQuery({ hash: `sha1:${"AB".repeat(20)}` }).keys).toEqual([
      [`hash:sha1:${"ab".repeat(20)}`],
    ]);
    expect(searchKeysForQuery({ hash: "ab".repeat(20) }).keys).toEqual([[`hash:sha1:${"ab".repeat(20)}`]]);
  });

  it("infers the algorithm of an unprefixed hash from its length", () => {
    expect(searchKeysForQuery({ hash: "ab".repeat(48) }).keys).toEqual([[`hash:sha384:${"ab".repeat(48)}`]]);
    expect(searchKeysForQuery({ hash: "ab".repeat(64) }).keys).toEqual([[`hash:sha512:${"ab".repeat(64)}`]]);
  });

  it.each([
    ["a hash of no known length", { hash: "abcd" }, "BAD_HASH"],
    [
      "a hash whose prefix disagrees with its length",
      { hash: `sha512:${F.FIXED_ARTIFACT_SHA256}` },
      "BAD_HASH",
    ],
    ["a sha1 prefix on a sha256-long hash", { hash: `sha1:${"ab".repeat(32)}` }, "BAD_HASH"],
    ["a pgp key", { publicKey: { format: "pgp", content: b64("key") } }, "UNSUPPORTED_KEY_FORMAT"],
    [
      "an ssh key",
      { publicKey: { format: "ssh", content: b64("ssh-ed25519 AAAA") } },
      "UNSUPPORTED_KEY_FORMAT",
    ],
    ["a key format outside the spec", { publicKey: { format: "jwk" } }, "MALFORMED_QUERY"],
    [
      "a key to fetch by URL",
      { publicKey: { format: "x509", url: "https://example.com/key.pem" } },
      "MALFORMED_QUERY",
    ],
    ["a key without content", { publicKey: { format: "x509" } }, "MALFORMED_QUERY"],
    ["a key that is not base64", { publicKey: { format: "x509", content: "%%" } }, "BAD_ENCODING"],
    ["an email without @", { email: "alice" }, "MALFORMED_QUERY"],
    ["an unknown operator", { email: "a@b.c", operator: "xor" }, "MALFORMED_QUERY"],
    ["an unknown field", { sha: F.FIXED_ARTIFACT_SHA256 }, "MALFORMED_QUERY"],
    ["a query that is not an object", [F.FIXED_ARTIFACT_SHA256], "MALFORMED_QUERY"],
  ])("refuses %s", (_, query, code) => {
    expect(rejectionOf(query, searchKeysForQuery)).toEqual({ status: 400, code });
  });
});
