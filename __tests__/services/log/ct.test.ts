import { createHash, type KeyObject, verify, webcrypto } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate as SigstoreCertificate } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { verifySCTs } from "@sigstore/verify/dist/key/sct.js";
import * as asn1js from "asn1js";
import type { FastifyInstance } from "fastify";
import * as pkijs from "pkijs";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SctJson,
  sctFromJson,
  sctListExtensionOid,
  sctListExtensionValue,
  sctToJson,
} from "../../../services/common/ct/sct.ts";
import { ApiError } from "../../../services/common/errors.ts";
import { verifyConsistency, verifyInclusion } from "../../../services/common/merkle/verify.ts";
import { createServer } from "../../../services/common/server.ts";
import type { Signer } from "../../../services/common/signer/types.ts";
import { ctApi } from "../../../services/log/ct/api.ts";
import { parseCertificate, tbsWithoutExtension } from "../../../services/log/ct/certificate.ts";
import {
  decodeMerkleTreeLeaf,
  encodeMerkleTreeLeaf,
  sthSignatureInput,
} from "../../../services/log/ct/encoding.ts";
import { CtLog } from "../../../services/log/ct/log.ts";
import { acceptSubmission, poisonExtensionOid, TrustedRoots } from "../../../services/log/ct/submission.ts";
import { openSqlite } from "../../../services/log/storage/sqlite.ts";
import { Tree } from "../../../services/log/tree.ts";
import { createCa, generateKey, type TestCertificate, type TestKey } from "../../support/pki.ts";
import { trustedRootJson } from "../../support/trusted-root.ts";

// --- throwaway PKI -------------------------------------------------------------------------------
// Precertificate and final certificate must share every TBS byte but one extension, so leaves
// are built here with a chosen serial number and fixed validity.

const engine = new pkijs.CryptoEngine({
  crypto: webcrypto as ConstructorParameters<typeof pkijs.CryptoEngine>[0]["crypto"],
});
const notBefore = new Date("2025-01-01T00:00:00Z");
const notAfter = new Date("2035-01-01T00:00:00Z");
let serial = 1;

interface LeafSpec {
  extensions?: pkijs.Extension[];
  serialNumber?: number;
  key?: TestKey;
}

const b64 = (der: Buffer) => der.toString("base64");
const arrayBuffer = (bytes: Buffer) => new Uint8Array(bytes).buffer;
const extension = (oid: string, critical: boolean, value: Buffer) =>
  new pkijs.Extension({ extnID: oid, critical, extnValue: arrayBuffer(value) });
const digitalSignature = () => extension("2.5.29.15", true, Buffer.of(0x03, 0x02, 0x07, 0x80));
const codeSigning = () =>
  extension(
    "2.5.29.37",
    false,
    Buffer.from(
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: "1.3.6.1.5.5.7.3.3" })] }).toBER(),
    ),
  );
const poison = (critical = true) => extension(poisonExtensionOid, critical, Buffer.of(0x05, 0x00));
const sctListExtension = (value: Buffer) => extension(sctListExtensionOid, false, value);

async function issue(issuer: TestCertificate, spec: LeafSpec = {}): Promise<Buffer> {
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ value: spec.serialNumber ?? serial++ });
  certificate.issuer = pkijs.Certificate.fromBER(issuer.der).subject;
  certificate.subject = new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: "leaf" }) }),
    ],
  });
  certificate.notBefore.value = notBefore;
  certificate.notAfter.value = notAfter;
  const extensions = spec.extensions ?? [digitalSignature()];
  if (extensions.length > 0) certificate.extensions = extensions;
  certificate.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(
    arrayBuffer((spec.key ?? generateKey()).spki),
  );
  const signingKey = issuer.key.privateKey.toCryptoKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
  await certificate.sign(signingKey as Parameters<pkijs.Certificate["sign"]>[0], "SHA-256", engine);
  return Buffer.from(certificate.toSchema(true).toBER(false));
}

/** A CA whose only extensions are CA:true and the Precertificate Signing Certificate EKU. */
async function precertSigningCa(root: TestCertificate): Promise<TestCertificate> {
  const key = generateKey();
  const eku = new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: "1.3.6.1.4.1.11129.2.4.4" })],
  });
  const der = await issue(root, {
    key,
    extensions: [
      extension("2.5.29.19", true, Buffer.of(0x30, 0x03, 0x01, 0x01, 0xff)),
      extension("2.5.29.37", false, Buffer.from(eku.toBER())),
    ],
  });
  return { der, pem: "", key, notBefore, notAfter };
}

function testSigner(): Signer {
  const key = generateKey();
  return {
    algorithm: "ecdsa-p256-sha256",
    publicKey: key.publicKey,
    spki: key.spki,
    sign: async (data) => key.sign(data),
  };
}

// --- independent RFC 6962 readers ----------------------------------------------------------------

const u16 = (n: number) => Buffer.of(n >> 8, n & 0xff);
const u24 = (n: number) => Buffer.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
const u64 = (n: number) => {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(n));
  return out;
};

/** RFC 5246 digitally-signed → the DER ECDSA signature, after checking sha256(4)/ecdsa(3). */
function signatureOf(digitallySigned: Buffer): Buffer {
  expect([...digitallySigned.subarray(0, 2)]).toEqual([4, 3]);
  expect(digitallySigned.readUInt16BE(2)).toBe(digitallySigned.length - 4);
  return digitallySigned.subarray(4);
}

function verifySctByHand(sct: SctJson, signedEntry: Buffer, entryType: number, key: KeyObject): boolean {
  const input = Buffer.concat([Buffer.of(0, 0), u64(sct.timestamp), u16(entryType), signedEntry, u16(0)]);
  return verify("sha256", input, key, signatureOf(Buffer.from(sct.signature, "base64")));
}

/** ASN.1Cert certificate_chain<0..2^24-1> → DER certificates. */
function readCertificateList(list: Buffer): Buffer[] {
  expect(list.readUIntBE(0, 3)).toBe(list.length - 3);
  const out: Buffer[] = [];
  for (let at = 3; at < list.length; ) {
    const length = list.readUIntBE(at, 3);
    out.push(list.subarray(at + 3, at + 3 + length));
    at += 3 + length;
  }
  return out;
}

function expectApiError(run: () => unknown, status: number, code: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect(caught).toMatchObject({ status, code });
}

// --- fixtures --------------------------------------------------------------------------------------

let root: TestCertificate;
let intermediate: TestCertificate;
let strangerRoot: TestCertificate;
let leaf: Buffer;
let roots: TrustedRoots;

beforeAll(async () => {
  root = await createCa({ commonName: "Test Root" });
  strangerRoot = await createCa({ commonName: "Stranger Root" });
  intermediate = await createCa({ commonName: "Test Intermediate", issuer: root });
  leaf = await issue(intermediate);
  roots = new TrustedRoots([root.der]);
});

describe("RFC 6962 encodings", () => {
  it("lays out a MerkleTreeLeaf for an x509 entry byte by byte (§3.4)", () => {
    const certificate = Buffer.from("cert");
    const encoded = encodeMerkleTreeLeaf({
      timestamp: 1_700_000_000_123,
      entry: { type: "x509", certificate },
      extensions: Buffer.alloc(0),
    });
    const expected = Buffer.concat([
      Buffer.of(0, 0),
      u64(1_700_000_000_123),
      u16(0),
      u24(4),
      certificate,
      u16(0),
    ]);
    expect(encoded.equals(expected)).toBe(true);
    expect(decodeMerkleTreeLeaf(encoded)).toEqual({
      timestamp: 1_700_000_000_123,
      entry: { type: "x509", certificate },
      extensions: Buffer.alloc(0),
    });
  });

  it("lays out a precert leaf with the issuer key hash before the TBS", () => {
    const issuerKeyHash = Buffer.alloc(32, 7);
    const tbs = Buffer.from("tbs");
    const encoded = encodeMerkleTreeLeaf({
      timestamp: 5,
      entry: { type: "precert", issuerKeyHash, tbsCertificate: tbs },
      extensions: Buffer.alloc(0),
    });
    expect(
      encoded.equals(Buffer.concat([Buffer.of(0, 0), u64(5), u16(1), issuerKeyHash, u24(3), tbs, u16(0)])),
    ).toBe(true);
  });

  it("refuses leaves with trailing bytes or an unknown entry type", () => {
    const good = encodeMerkleTreeLeaf({
      timestamp: 1,
      entry: { type: "x509", certificate: Buffer.of(1) },
      extensions: Buffer.alloc(0),
    });
    expect(() => decodeMerkleTreeLeaf(Buffer.concat([good, Buffer.of(0)]))).toThrow();
    const unknownType = Buffer.from(good);
    unknownType[11] = 9;
    expect(() => decodeMerkleTreeLeaf(unknownType)).toThrow();
  });

  it("lays out the STH signature input (§3.5)", () => {
    const rootHash = Buffer.alloc(32, 1);
    const input = sthSignatureInput({ timestamp: 9, treeSize: 3, rootHash });
    expect(input.equals(Buffer.concat([Buffer.of(0, 1), u64(9), u64(3), rootHash]))).toBe(true);
  });

  it("wraps an SCT list the way sigstore-js parses it and round-trips the JSON form", async () => {
    const sct = {
      logId: Buffer.alloc(32, 2),
      timestamp: 1234,
      extensions: Buffer.alloc(0),
      signature: Buffer.alloc(70, 3),
    };
    const list = sctListExtension(sctListExtensionValue([sct, { ...sct, timestamp: 99 }]));
    const cert = SigstoreCertificate.parse(Buffer.from(await issue(intermediate, { extensions: [list] })));
    const parsed = cert.extSCT?.signedCertificateTimestamps ?? [];
    expect(
      parsed.map((p) => [Buffer.from(p.logID), p.datetime.getTime(), Buffer.from(p.signature), p.algorithm]),
    ).toEqual([
      [sct.logId, 1234, sct.signature, "sha256"],
      [sct.logId, 99, sct.signature, "sha256"],
    ]);
    expect(sctFromJson(sctToJson(sct))).toEqual(sct);
  });
});

describe("precertificate TBS", () => {
  it("removes the poison and nothing else, dropping [3] when it was the only extension", async () => {
    const spec = { serialNumber: 0x7a, key: generateKey() };
    const withPoisonOnly = parseCertificate(await issue(intermediate, { ...spec, extensions: [poison()] }));
    const without = parseCertificate(await issue(intermediate, { ...spec, extensions: [] }));
    const removed = withPoisonOnly.extensions[0];
    expect(removed?.oid).toBe(poisonExtensionOid);
    expect(tbsWithoutExtension(withPoisonOnly, removed as never).equals(without.tbs)).toBe(true);
  });
});

describe("chain submission", () => {
  it("accepts a chain ending in a root or issued by one, and records the full chain as extra_data", () => {
    for (const chain of [
      [b64(leaf), b64(intermediate.der), b64(root.der)],
      [b64(leaf), b64(intermediate.der)],
    ]) {
      const accepted = acceptSubmission(chain, roots, false);
      expect(accepted.entry).toEqual({ type: "x509", certificate: leaf });
      expect(readCertificateList(accepted.extraData)).toEqual([intermediate.der, root.der]);
    }
  });

  it("checks every leaf against an issuer chain it verified before", async () => {
    const issuers = [b64(intermediate.der), b64(root.der)];
    expect(acceptSubmission([b64(leaf), ...issuers], roots, false).entry).toEqual({
      type: "x509",
      certificate: leaf,
    });
    const stranger = await issue(strangerRoot);
    expect(() => acceptSubmission([b64(stranger), ...issuers], roots, false)).toThrow(
      /chain\[0\] is not signed by chain\[1\]/,
    );
    expectApiError(() => acceptSubmission([b64(stranger), ...issuers], roots, false), 400, "INVALID_CHAIN");
    // The same first issuer with another tail is checked afresh, not taken from memory.
    expectApiError(
      () => acceptSubmission([b64(leaf), b64(intermediate.der), b64(strangerRoot.der)], roots, false),
      400,
      "INVALID_CHAIN",
    );
    expect(
      readCertificateList(acceptSubmission([b64(leaf), b64(intermediate.der)], roots, false).extraData),
    ).toEqual([intermediate.der, root.der]);
    expect(acceptSubmission([b64(leaf), ...issuers], roots, false).entry.type).toBe("x509");
  });

  it("refuses chains that do not reach a configured root", async () => {
    const stranger = await issue(strangerRoot);
    expectApiError(
      () => acceptSubmission([b64(stranger), b64(strangerRoot.der)], roots, false),
      400,
      "UNTRUSTED_CHAIN",
    );
    expectApiError(() => acceptSubmission([b64(leaf)], roots, false), 400, "UNTRUSTED_CHAIN");
    expectApiError(() => acceptSubmission([b64(leaf), b64(root.der)], roots, false), 400, "INVALID_CHAIN");
    expectApiError(() => acceptSubmission([], roots, false), 400, "EMPTY_CHAIN");
  });

  it("refuses bad base64 and non-certificates", () => {
    expectApiError(() => acceptSubmission(["not base64!"], roots, false), 400, "INVALID_BASE64");
    expectApiError(
      () => acceptSubmission([Buffer.from("hello").toString("base64")], roots, false),
      400,
      "INVALID_CERTIFICATE",
    );
  });

  it("keeps precertificates and certificates to their own endpoints", async () => {
    const precert = await issue(intermediate, { extensions: [poison()] });
    expectApiError(
      () => acceptSubmission([b64(precert), b64(intermediate.der)], roots, false),
      400,
      "PRECERTIFICATE_NOT_ALLOWED",
    );
    expectApiError(
      () => acceptSubmission([b64(leaf), b64(intermediate.der)], roots, true),
      400,
      "NOT_A_PRECERTIFICATE",
    );
    const nonCritical = await issue(intermediate, { extensions: [poison(false)] });
    expectApiError(
      () => acceptSubmission([b64(nonCritical), b64(intermediate.der)], roots, true),
      400,
      "NOT_A_PRECERTIFICATE",
    );
  });

  it("refuses a certificate with an extension twice, as Go's x509 does", async () => {
    // Which poison would be removed to rebuild the TBSCertificate is anyone's guess.
    const twice = await issue(intermediate, { extensions: [poison(), poison(), digitalSignature()] });
    expectApiError(
      () => acceptSubmission([b64(twice), b64(intermediate.der)], roots, true),
      400,
      "INVALID_CERTIFICATE",
    );
  });

  it("refuses precertificates signed by a Precertificate Signing Certificate", async () => {
    const signing = await precertSigningCa(root);
    const precert = await issue(signing, { extensions: [poison()] });
    expectApiError(
      () => acceptSubmission([b64(precert), b64(signing.der)], roots, true),
      400,
      "UNSUPPORTED_PRECERTIFICATE_ISSUER",
    );
  });
});

// --- the log behind its HTTP API ------------------------------------------------------------------

describe("CT log API", () => {
  const prefix = "/ctlog/ct/v1";
  let directory: string;
  let signer: ReturnType<typeof testSigner>;
  let log: CtLog;
  let server: FastifyInstance;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "signet-ct-"));
    signer = testSigner();
    const tree = await Tree.open(openSqlite(join(directory, "ct.db"), "ct-test"), {
      signCheckpoint: (size, rootHash, timestamp) => CtLog.signTreeHead(signer, size, rootHash, timestamp),
    });
    log = new CtLog({ tree, treeId: "ct-test", signer, rootsPem: root.pem });
    // As the log service builds its server.
    server = createServer({ name: "ct-test", logger: false, registry: new Registry(), errorStyle: "rekor" });
    await server.register(ctApi, { log, prefix: "/ctlog" });
  });

  afterAll(async () => {
    await server?.close();
    await log?.tree.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const post = (path: string, payload: unknown) =>
    server.inject({ method: "POST", url: `${prefix}/${path}`, payload: payload as object });
  const get = (path: string) => server.inject({ method: "GET", url: `${prefix}/${path}` });
  const addChain = async (chain: string[], precert = false) => {
    const response = await post(precert ? "add-pre-chain" : "add-chain", { chain });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as SctJson;
  };
  const sth = async () => {
    const head = (await get("get-sth")).json() as {
      tree_size: number;
      timestamp: number;
      sha256_root_hash: string;
      tree_head_signature: string;
    };
    const rootHash = Buffer.from(head.sha256_root_hash, "base64");
    const input = Buffer.concat([Buffer.of(0, 1), u64(head.timestamp), u64(head.tree_size), rootHash]);
    expect(
      verify("sha256", input, signer.publicKey, signatureOf(Buffer.from(head.tree_head_signature, "base64"))),
    ).toBe(true);
    return { size: head.tree_size, rootHash };
  };
  const leafHashOf = (leafInput: Buffer) =>
    createHash("sha256")
      .update(Buffer.concat([Buffer.of(0), leafInput]))
      .digest();

  it("signs the empty tree", async () => {
    expect(await sth()).toEqual({ size: 0, rootHash: createHash("sha256").digest() });
  });

  it("returns an SCT for add-chain that verifies over the hand-built x509 entry", async () => {
    const sct = await addChain([b64(leaf), b64(intermediate.der)]);
    expect(sct.sct_version).toBe(0);
    expect(sct.extensions).toBe("");
    expect(Buffer.from(sct.id, "base64").equals(createHash("sha256").update(signer.spki).digest())).toBe(
      true,
    );
    expect(verifySctByHand(sct, Buffer.concat([u24(leaf.length), leaf]), 0, signer.publicKey)).toBe(true);
    expect(
      verifySctByHand(
        { ...sct, timestamp: sct.timestamp + 1 },
        Buffer.concat([u24(leaf.length), leaf]),
        0,
        signer.publicKey,
      ),
    ).toBe(false);
    expect((await sth()).size).toBe(1);
  });

  it("answers a resubmission with an SCT for the original timestamp and no new entry", async () => {
    const first = await addChain([b64(leaf), b64(intermediate.der), b64(root.der)]);
    const again = await addChain([b64(leaf), b64(intermediate.der)]);
    expect(again.timestamp).toBe(first.timestamp);
    expect(verifySctByHand(again, Buffer.concat([u24(leaf.length), leaf]), 0, signer.publicKey)).toBe(true);
    expect((await sth()).size).toBe(1);
  });

  it("logs concurrent identical submissions once", async () => {
    const twin = await issue(root);
    const scts = await Promise.all(Array.from({ length: 5 }, () => addChain([b64(twin)])));
    expect(new Set(scts.map((sct) => sct.timestamp)).size).toBe(1);
    expect((await sth()).size).toBe(2);
  });

  it("returns a precert SCT that sigstore-js accepts once embedded in the final certificate", async () => {
    const base = { serialNumber: 0x5eed, key: generateKey() };
    const precert = await issue(intermediate, {
      ...base,
      extensions: [digitalSignature(), poison(), codeSigning()],
    });
    const sctJson = await addChain([b64(precert), b64(intermediate.der)], true);

    const issuerKeyHash = createHash("sha256").update(intermediate.key.spki).digest();
    const sctList = sctListExtensionValue([sctFromJson(sctJson)]);
    const final = await issue(intermediate, {
      ...base,
      extensions: [digitalSignature(), sctListExtension(sctList), codeSigning()],
    });

    // By hand: PreCert = issuer key hash ‖ TBS of the final certificate without the SCT list.
    const withoutSct = parseCertificate(final);
    const sctExtension = withoutSct.extensions.find((e) => e.oid === sctListExtensionOid);
    const tbs = tbsWithoutExtension(withoutSct, sctExtension as never);
    expect(
      verifySctByHand(sctJson, Buffer.concat([issuerKeyHash, u24(tbs.length), tbs]), 1, signer.publicKey),
    ).toBe(true);

    // sigstore-js's own SCT check, against a trusted root naming this CT log.
    const trustedRoot = (spki: Buffer) =>
      toTrustMaterial(
        TrustedRoot.fromJSON(
          trustedRootJson({
            rekorUrl: "https://rekor.invalid",
            logSpki: spki,
            caChain: [intermediate.der, root.der],
            ctlog: { url: "https://ct.invalid", spki },
          }),
        ),
      );
    const [finalCert, issuerCert] = [final, intermediate.der].map((d) =>
      SigstoreCertificate.parse(Buffer.from(d)),
    ) as [SigstoreCertificate, SigstoreCertificate];
    const logIds = verifySCTs(finalCert, issuerCert, trustedRoot(signer.spki).ctlogs);
    expect(logIds.map((id) => Buffer.from(id).toString("base64"))).toEqual([sctJson.id]);
    const otherKey = testSigner().spki;
    expect(() => verifySCTs(finalCert, issuerCert, trustedRoot(otherKey).ctlogs)).toThrow();
  });

  it("serves entries whose leaves and extra_data decode to what was submitted", async () => {
    const response = await get("get-entries?start=0&end=10");
    const { entries } = response.json() as { entries: Array<{ leaf_input: string; extra_data: string }> };
    expect(entries).toHaveLength(3);
    const decode = (entry: { leaf_input: string; extra_data: string } | undefined) => ({
      leaf: decodeMerkleTreeLeaf(Buffer.from(entry?.leaf_input ?? "", "base64")),
      extra: Buffer.from(entry?.extra_data ?? "", "base64"),
    });
    const [x509Entry, precertEntry] = [decode(entries[0]), decode(entries[2])];
    expect(x509Entry.leaf.entry).toEqual({ type: "x509", certificate: leaf });
    expect(readCertificateList(x509Entry.extra)).toEqual([intermediate.der, root.der]);
    // PrecertChainEntry: the precertificate as submitted, then its chain to the root.
    expect(precertEntry.leaf.entry.type).toBe("precert");
    const precertLength = precertEntry.extra.readUIntBE(0, 3);
    const precert = precertEntry.extra.subarray(3, 3 + precertLength);
    expect(parseCertificate(precert).extensions.some((e) => e.oid === poisonExtensionOid)).toBe(true);
    expect(readCertificateList(precertEntry.extra.subarray(3 + precertLength))).toEqual([
      intermediate.der,
      root.der,
    ]);
  });

  it("proves inclusion by leaf hash and consistency between tree heads", async () => {
    const before = await sth();
    const another = await issue(root);
    await addChain([b64(another)]);
    const after = await sth();
    expect(after.size).toBe(before.size + 1);

    const { entries } = (await get(`get-entries?start=0&end=${after.size - 1}`)).json() as {
      entries: Array<{ leaf_input: string }>;
    };
    for (const [index, entry] of entries.entries()) {
      const hash = leafHashOf(Buffer.from(entry.leaf_input, "base64"));
      const response = await get(
        `get-proof-by-hash?hash=${encodeURIComponent(hash.toString("base64"))}&tree_size=${after.size}`,
      );
      const proof = response.json() as { leaf_index: number; audit_path: string[] };
      expect(proof.leaf_index).toBe(index);
      const path = proof.audit_path.map((h) => Buffer.from(h, "base64"));
      expect(verifyInclusion(index, after.size, hash, path, after.rootHash)).toBe(true);
    }

    const consistency = (
      await get(`get-sth-consistency?first=${before.size}&second=${after.size}`)
    ).json() as { consistency: string[] };
    const path = consistency.consistency.map((h) => Buffer.from(h, "base64"));
    expect(verifyConsistency(before.size, after.size, path, before.rootHash, after.rootHash)).toBe(true);
    expect(verifyConsistency(before.size, after.size, path, after.rootHash, after.rootHash)).toBe(false);
    expect((await get(`get-sth-consistency?first=0&second=${after.size}`)).json()).toEqual({
      consistency: [],
    });
  });

  it("serves the configured roots", async () => {
    expect((await get("get-roots")).json()).toEqual({ certificates: [b64(root.der)] });
  });

  it("answers bad input with 4xx {code, message}", async () => {
    const stranger = await issue(strangerRoot);
    const unknownHash = encodeURIComponent(Buffer.alloc(32, 9).toString("base64"));
    const cases: Array<[Promise<{ statusCode: number; json: () => unknown }>, number, string]> = [
      [post("add-chain", {}), 400, "MALFORMED_REQUEST"],
      [post("add-chain", { chain: [] }), 400, "MALFORMED_REQUEST"],
      [post("add-chain", { chain: [{}] }), 400, "MALFORMED_REQUEST"],
      [post("add-chain", { chain: { first: "AAAA" } }), 400, "MALFORMED_REQUEST"],
      [post("add-chain", { chain: ["%%%"] }), 400, "INVALID_BASE64"],
      [post("add-chain", { chain: ["AAAA"] }), 400, "INVALID_CERTIFICATE"],
      [post("add-chain", { chain: [b64(stranger), b64(strangerRoot.der)] }), 400, "UNTRUSTED_CHAIN"],
      [post("add-pre-chain", { chain: [b64(leaf), b64(intermediate.der)] }), 400, "NOT_A_PRECERTIFICATE"],
      [get("get-entries?start=2&end=1"), 400, "INVALID_RANGE"],
      [get("get-entries?start=99&end=100"), 400, "INVALID_RANGE"],
      [get("get-entries?start=-1&end=1"), 400, "MALFORMED_REQUEST"],
      [get("get-entries?start=0"), 400, "MALFORMED_REQUEST"],
      [get("get-sth-consistency?first=2&second=1"), 400, "INVALID_RANGE"],
      [get("get-sth-consistency?first=1&second=99"), 400, "TREE_SIZE_TOO_LARGE"],
      [get("get-sth-consistency?first=x&second=1"), 400, "MALFORMED_REQUEST"],
      [get("get-proof-by-hash?hash=AAAA&tree_size=1"), 400, "INVALID_HASH"],
      [get(`get-proof-by-hash?hash=${unknownHash}&tree_size=1`), 404, "LEAF_NOT_FOUND"],
      [get(`get-proof-by-hash?hash=${unknownHash}&tree_size=99`), 400, "TREE_SIZE_TOO_LARGE"],
      [get(`get-proof-by-hash?hash=${unknownHash}&tree_size=0`), 400, "INVALID_TREE_SIZE"],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect({ status: response.statusCode, body: response.json() }).toEqual({
        status,
        body: { code: status, message: expect.any(String), reason: code },
      });
    }
  });

  it("caps get-entries at 256 per request", async () => {
    const leaves = await Promise.all(Array.from({ length: 260 }, () => issue(root)));
    await Promise.all(leaves.map((cert) => addChain([b64(cert)])));
    const { size } = await sth();
    const { entries } = (await get(`get-entries?start=0&end=${size - 1}`)).json() as { entries: unknown[] };
    expect(entries).toHaveLength(256);
    const tail = (await get(`get-entries?start=${size - 2}&end=${size + 50}`)).json() as {
      entries: unknown[];
    };
    expect(tail.entries).toHaveLength(2);
  });
});
