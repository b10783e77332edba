import {
  createHash,
  generateKeyPairSync,
  X509Certificate as NodeCertificate,
  sign,
  verify,
} from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { RFC3161Timestamp } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { verifyRFC3161Timestamp } from "@sigstore/verify/dist/timestamp/tsa.js";
import * as asn1js from "asn1js";
import type { FastifyInstance } from "fastify";
import {
  AlgorithmIdentifier,
  type Attribute,
  BasicConstraints,
  Certificate,
  ExtKeyUsage,
  MessageImprint,
  SignedData,
  TimeStampReq,
  TimeStampResp,
  TSTInfo,
} from "pkijs";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../../services/common/server.ts";
import { ephemeralSigner as nodeSigner } from "../../../services/common/signer/local.ts";
import type { Signer } from "../../../services/common/signer/types.ts";
import { tsaApi } from "../../../services/log/tsa/api.ts";
import {
  DEFAULT_POLICY_OID,
  parseTimestampQuery,
  TimestampAuthority,
} from "../../../services/log/tsa/authority.ts";
import { createTsaChain, loadOrCreateTsaChain, type TsaChain } from "../../../services/log/tsa/chain.ts";

const SHA256_OID = "2.16.840.1.101.3.4.2.1";
const ATTR = {
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
};
// Inside the chain's validity (it starts an hour before creation), with a millisecond part.
const WHOLE_SECOND = Math.floor(Date.now() / 1000) * 1000;
const NOW = new Date(WHOLE_SECOND + 891);
const NOW_SECONDS = new Date(WHOLE_SECOND).toISOString();

const artifact = Buffer.from("signature bytes a client timestamps");
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

interface ParsedToken {
  status: number;
  signedData: SignedData;
  tstInfoDer: Buffer;
  tstInfo: TSTInfo;
  signedAttrs: Attribute[];
}

function parseResponse(der: Buffer): ParsedToken {
  const response = TimeStampResp.fromBER(new Uint8Array(der));
  const signedData = new SignedData({ schema: response.timeStampToken?.content });
  const eContent = signedData.encapContentInfo.eContent as asn1js.OctetString;
  const tstInfoDer = Buffer.from(eContent.valueBlock.valueHexView);
  return {
    status: response.status.status,
    signedData,
    tstInfoDer,
    tstInfo: TSTInfo.fromBER(new Uint8Array(tstInfoDer)),
    signedAttrs: signedData.signerInfos[0]?.signedAttrs?.attributes ?? [],
  };
}

const attrValue = (token: ParsedToken, type: string) =>
  token.signedAttrs.find((a) => a.type === type)?.values[0];

function tsaTrustedRoot(chain: TsaChain) {
  return TrustedRoot.fromJSON({
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [
      {
        subject: { organization: "signet-test", commonName: "signet-test-tsa" },
        uri: "https://tsa.invalid",
        certChain: { certificates: chain.der.map((c) => ({ rawBytes: c.toString("base64") })) },
        validFor: { start: "2020-01-01T00:00:00Z" },
      },
    ],
  });
}

describe.each(["ecdsa-p256-sha256", "ecdsa-p384-sha384"] as const)("TimestampAuthority (%s)", (algorithm) => {
  const digest = algorithm === "ecdsa-p256-sha256" ? "sha256" : "sha384";
  let signer: Signer;
  let chain: TsaChain;
  let authority: TimestampAuthority;

  beforeAll(async () => {
    signer = nodeSigner(algorithm);
    chain = await createTsaChain({ signer });
    authority = new TimestampAuthority({ signer, chain: chain.der, now: () => NOW });
  });

  const stamp = (certReq: boolean, nonce?: bigint) =>
    authority.timestamp({ hashAlgorithm: "sha256", messageImprint: sha256(artifact), certReq, nonce });

  it("grants a TSTInfo over the imprint with the policy, nonce and a whole-second genTime", async () => {
    const token = parseResponse(await stamp(false, 2n ** 80n + 7n));
    expect(token.status).toBe(0);
    expect(token.signedData.version).toBe(3);
    expect(token.signedData.encapContentInfo.eContentType).toBe("1.2.840.113549.1.9.16.1.4");
    const { tstInfo } = token;
    expect(tstInfo.version).toBe(1);
    expect(tstInfo.policy).toBe(DEFAULT_POLICY_OID);
    expect(tstInfo.messageImprint.hashAlgorithm.algorithmId).toBe(SHA256_OID);
    expect(Buffer.from(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView)).toEqual(
      sha256(artifact),
    );
    expect(tstInfo.nonce?.toBigInt()).toBe(2n ** 80n + 7n);
    expect(tstInfo.genTime.toISOString()).toBe(NOW_SECONDS);
    expect(tstInfo.accuracy?.seconds).toBe(1);
    expect(tstInfo.ordering).toBeUndefined();
    expect(tstInfo.serialNumber.toBigInt()).toBeGreaterThan(0n);
  });

  it("gives every token a distinct random serial", async () => {
    const [a, b] = await Promise.all([stamp(false), stamp(false)]);
    const serial = (der: Buffer) => parseResponse(der).tstInfo.serialNumber.toBigInt();
    expect(serial(a as Buffer)).not.toBe(serial(b as Buffer));
  });

  it("signs DER-ordered attributes: content type, signing time, digest of TSTInfo, the leaf's ESSCertIDv2", async () => {
    const token = parseResponse(await stamp(true));
    const signerInfo = token.signedData.signerInfos[0];
    expect(token.signedData.signerInfos).toHaveLength(1);
    expect(signerInfo?.digestAlgorithm.algorithmId).toBe(
      algorithm.endsWith("256") ? SHA256_OID : "2.16.840.1.101.3.4.2.2",
    );
    expect(signerInfo?.signatureAlgorithm.algorithmId).toBe(
      algorithm.endsWith("256") ? "1.2.840.10045.4.3.2" : "1.2.840.10045.4.3.3",
    );
    const encoded = token.signedAttrs.map((a) => Buffer.from(a.toSchema().toBER()));
    expect([...encoded].sort(Buffer.compare)).toEqual(encoded);
    expect((attrValue(token, ATTR.contentType) as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(
      "1.2.840.113549.1.9.16.1.4",
    );
    expect((attrValue(token, ATTR.signingTime) as asn1js.UTCTime).toDate().toISOString()).toBe(NOW_SECONDS);
    const messageDigest = attrValue(token, ATTR.messageDigest) as asn1js.OctetString;
    expect(Buffer.from(messageDigest.valueBlock.valueHexView)).toEqual(
      createHash(digest).update(token.tstInfoDer).digest(),
    );
    const [certIds] = (attrValue(token, ATTR.signingCertificateV2) as asn1js.Sequence).valueBlock.value;
    const [essCertId] = (certIds as asn1js.Sequence).valueBlock.value as asn1js.Sequence[];
    const [certHash, issuerSerial] = essCertId?.valueBlock.value ?? [];
    expect(Buffer.from((certHash as asn1js.OctetString).valueBlock.valueHexView)).toEqual(
      sha256(chain.der[0] as Buffer),
    );
    const leaf = Certificate.fromBER(new Uint8Array(chain.der[0] as Buffer));
    const serial = (issuerSerial as asn1js.Sequence).valueBlock.value[1] as asn1js.Integer;
    expect(serial.toBigInt()).toBe(leaf.serialNumber.toBigInt());
  });

  it("verifies with pkijs against the leaf, by hand and through SignedData.verify", async () => {
    const token = parseResponse(await stamp(true));
    const signerInfo = token.signedData.signerInfos[0];
    const signedAttrsSet = Buffer.from(signerInfo?.signedAttrs?.toSchema().toBER() ?? new ArrayBuffer(0));
    signedAttrsSet[0] = 0x31;
    const leafKey = new NodeCertificate(chain.der[0] as Buffer).publicKey;
    const signature = Buffer.from(signerInfo?.signature.valueBlock.valueHexView ?? []);
    expect(verify(digest, signedAttrsSet, leafKey, signature)).toBe(true);
    const result = await token.signedData.verify({
      signer: 0,
      data: Uint8Array.from(artifact).buffer,
      checkChain: false,
      extendedMode: true,
    });
    expect(result.signatureVerified).toBe(true);
    const signerCertificate = result.signerCertificate?.toSchema().toBER() ?? new ArrayBuffer(0);
    expect(Buffer.from(signerCertificate)).toEqual(chain.der[0]);
  });

  it("includes the certificate chain, leaf first, only when certReq is set", async () => {
    expect(parseResponse(await stamp(false)).signedData.certificates).toBeUndefined();
    const certificates = parseResponse(await stamp(true)).signedData.certificates as Certificate[];
    expect(certificates.map((c) => Buffer.from(c.toSchema().toBER()))).toEqual(chain.der);
  });

  it("verifies with sigstore-js: RFC3161Timestamp, and the verifier's TSA path with chain checks", async () => {
    const der = await stamp(false);
    const parsed = RFC3161Timestamp.parse(Buffer.from(der));
    parsed.verify(artifact, new NodeCertificate(chain.der[0] as Buffer).publicKey);
    expect(parsed.signingTime.toISOString()).toBe(NOW_SECONDS);
    const trust = toTrustMaterial(tsaTrustedRoot(chain));
    expect(() => verifyRFC3161Timestamp(parsed, artifact, trust.timestampAuthorities)).not.toThrow();
    expect(() => verifyRFC3161Timestamp(parsed, Buffer.from("other"), trust.timestampAuthorities)).toThrow(
      /timestamp could not be verified/,
    );
  });

  it("rejects unknown hash algorithms, wrong imprint lengths and other policies with 400", async () => {
    const imprint = sha256(artifact);
    const bad = [
      [{ hashAlgorithm: "md5" as "sha256", messageImprint: imprint }, "UNSUPPORTED_HASH_ALGORITHM"],
      [{ hashAlgorithm: "sha384" as const, messageImprint: imprint }, "INVALID_HASH_LENGTH"],
      [{ hashAlgorithm: "sha256" as const, messageImprint: imprint, policy: "1.2.3" }, "UNSUPPORTED_POLICY"],
    ] as const;
    for (const [request, code] of bad) {
      await expect(authority.timestamp({ ...request, certReq: false })).rejects.toMatchObject({
        status: 400,
        code,
      });
    }
  });

  it("refuses a chain whose leaf certifies another key", () => {
    expect(() => new TimestampAuthority({ signer: nodeSigner(algorithm), chain: chain.der })).toThrow(
      /public key/,
    );
  });
});

describe("a sigstore-js Verifier", () => {
  it("accepts a bundle whose only timestamp is this TSA's (P-384 TSA key)", async () => {
    const tsaSigner = nodeSigner("ecdsa-p384-sha384");
    const chain = await createTsaChain({ signer: tsaSigner });
    const authority = new TimestampAuthority({ signer: tsaSigner, chain: chain.der });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signature = sign("sha256", artifact, privateKey);
    const response = await authority.timestamp({
      hashAlgorithm: "sha256",
      messageImprint: sha256(signature),
      certReq: false,
    });
    const bundle = bundleFromJSON({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: {
        publicKey: { hint: "artifact-key" },
        tlogEntries: [],
        timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: response.toString("base64") }] },
      },
      messageSignature: {
        messageDigest: { algorithm: "SHA2_256", digest: sha256(artifact).toString("base64") },
        signature: signature.toString("base64"),
      },
    });
    const spki = publicKey.export({ format: "der", type: "spki" });
    const trust = toTrustMaterial(tsaTrustedRoot(chain), {
      "artifact-key": { rawBytes: spki, keyDetails: 5, validFor: { start: new Date(0) } },
    });
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
    expect(() => verifier.verify(toSignedEntity(bundle, artifact))).not.toThrow();
  });
});

describe("parseTimestampQuery", () => {
  const query = (fields: Partial<ConstructorParameters<typeof TimeStampReq>[0]> = {}, oid = SHA256_OID) =>
    Buffer.from(
      new TimeStampReq({
        version: 1,
        messageImprint: new MessageImprint({
          hashAlgorithm: new AlgorithmIdentifier({ algorithmId: oid }),
          hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(sha256(artifact)) }),
        }),
        ...fields,
      })
        .toSchema()
        .toBER(),
    );

  it("reads the imprint, policy, nonce and certReq of an RFC 3161 §2.4.1 TimeStampReq", () => {
    const der = query({ reqPolicy: "1.2.3.4", nonce: asn1js.Integer.fromBigInt(2n ** 70n), certReq: true });
    expect(parseTimestampQuery(der)).toEqual({
      hashAlgorithm: "sha256",
      messageImprint: sha256(artifact),
      policy: "1.2.3.4",
      nonce: 2n ** 70n,
      certReq: true,
    });
    expect(parseTimestampQuery(query())).toEqual({
      hashAlgorithm: "sha256",
      messageImprint: sha256(artifact),
      certReq: false,
    });
  });

  it("rejects garbage, trailing bytes, other versions, unknown hashes and extensions", () => {
    const extension = new asn1js.Sequence({
      value: [
        new asn1js.ObjectIdentifier({ value: "1.2.3" }),
        new asn1js.OctetString({ valueHex: new Uint8Array(1) }),
      ],
    });
    const withExtension = Buffer.from(query().subarray(0));
    const cases: Array<[Buffer, string]> = [
      [Buffer.from("not der at all"), "MALFORMED_REQUEST"],
      [Buffer.from("3003020101", "hex"), "MALFORMED_REQUEST"],
      [Buffer.concat([query(), Buffer.from([0])]), "MALFORMED_REQUEST"],
      [query({ version: 2 }), "MALFORMED_REQUEST"],
      [query({}, "1.3.14.3.2.26"), "UNSUPPORTED_HASH_ALGORITHM"],
      [withExtensions(withExtension, extension), "UNSUPPORTED_EXTENSION"],
    ];
    for (const [der, code] of cases) {
      expect(() => parseTimestampQuery(der), code).toThrow(expect.objectContaining({ status: 400, code }));
    }
  });
});

/** Appends `[0] IMPLICIT Extensions` to a DER TimeStampReq. */
function withExtensions(der: Buffer, extension: asn1js.Sequence): Buffer {
  const request = asn1js.fromBER(new Uint8Array(der)).result as asn1js.Sequence;
  request.valueBlock.value.push(
    new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [extension] }),
  );
  return Buffer.from(request.toBER());
}

function extensionsOf(der: Buffer): Map<string, { critical: boolean; value: Buffer }> {
  const certificate = Certificate.fromBER(new Uint8Array(der));
  return new Map(
    (certificate.extensions ?? []).map((e) => [
      e.extnID,
      { critical: e.critical, value: Buffer.from(e.extnValue.valueBlock.valueHexView) },
    ]),
  );
}

describe("createTsaChain and loadOrCreateTsaChain", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "signet-tsa-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("issues a root-signed leaf for the signer's key with a critical timeStamping EKU", async () => {
    const signer = nodeSigner("ecdsa-p256-sha256");
    const { der, pem } = await createTsaChain({ signer });
    const [leaf, root] = der.map((c) => new NodeCertificate(c)) as [NodeCertificate, NodeCertificate];
    expect(pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(leaf.publicKey.export({ format: "der", type: "spki" })).toEqual(signer.spki);
    expect(leaf.checkIssued(root) && leaf.verify(root.publicKey)).toBe(true);
    expect(root.checkIssued(root) && root.verify(root.publicKey)).toBe(true);
    expect([leaf.ca, root.ca]).toEqual([false, true]);
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
    expect(new Date(root.validTo).getTime()).toBeGreaterThanOrEqual(new Date(leaf.validTo).getTime());

    // RFC 5280 §4.1.2.5 UTCTime, whole seconds: sigstore-js fails on DER-trimmed fractions.
    const validity = Certificate.fromBER(new Uint8Array(der[0] as Buffer));
    expect([validity.notBefore.type, validity.notAfter.type]).toEqual([0, 0]);

    const leafExtensions = extensionsOf(der[0] as Buffer);
    const eku = leafExtensions.get("2.5.29.37");
    expect(eku?.critical).toBe(true);
    expect(ExtKeyUsage.fromBER(eku?.value ?? new Uint8Array()).keyPurposes).toEqual(["1.3.6.1.5.5.7.3.8"]);
    expect(leafExtensions.get("2.5.29.15")).toEqual({
      critical: true,
      value: Buffer.from("03020780", "hex"),
    });
    expect(BasicConstraints.fromBER(leafExtensions.get("2.5.29.19")?.value ?? new Uint8Array()).cA).toBe(
      false,
    );
    const rootExtensions = extensionsOf(der[1] as Buffer);
    expect(rootExtensions.get("2.5.29.15")).toEqual({
      critical: true,
      value: Buffer.from("03020106", "hex"),
    });
    // AKI = SEQUENCE { [0] keyIdentifier }: its last 20 bytes are the root's SKI.
    const ski = rootExtensions.get("2.5.29.14")?.value.subarray(2);
    expect(leafExtensions.get("2.5.29.35")?.value.subarray(-20)).toEqual(ski);
  });

  it("signs the chain with a given root signer, on another curve, under the given names", async () => {
    const rootSigner = nodeSigner("ecdsa-p384-sha384");
    const { der } = await createTsaChain({
      signer: nodeSigner("ecdsa-p256-sha256"),
      rootSigner,
      subject: { organization: "Example Org", commonName: "Example TSA" },
    });
    const [leaf, root] = der.map((c) => new NodeCertificate(c)) as [NodeCertificate, NodeCertificate];
    expect(root.publicKey.equals(rootSigner.publicKey)).toBe(true);
    expect(leaf.verify(root.publicKey) && root.verify(root.publicKey)).toBe(true);
    expect(leaf.subject).toBe("O=Example Org\nCN=Example TSA");
    expect(root.subject).toBe("O=Example Org\nCN=Example TSA Root");
    // ecdsa-with-SHA384 (RFC 5758 §3.2), parameters absent, in both places a certificate names it.
    const parsed = Certificate.fromBER(new Uint8Array(der[0] as Buffer));
    expect([parsed.signature.algorithmId, parsed.signatureAlgorithm.algorithmId]).toEqual([
      "1.2.840.10045.4.3.3",
      "1.2.840.10045.4.3.3",
    ]);
    expect(parsed.signatureAlgorithm.algorithmParams).toBeUndefined();
  });

  it("writes the chain on first start, reuses it after, and refuses it for another key", async () => {
    const signer = nodeSigner("ecdsa-p256-sha256");
    const path = join(dir, "nested", "tsa-chain.pem");
    const first = await loadOrCreateTsaChain(path, signer);
    expect(await readFile(path, "utf8")).toBe(first.pem);
    expect(await loadOrCreateTsaChain(path, signer)).toEqual(first);
    await expect(loadOrCreateTsaChain(path, nodeSigner("ecdsa-p256-sha256"))).rejects.toThrow(
      /tsa-chain\.pem: the TSA leaf certificate is for another key/,
    );
    expect(await loadOrCreateTsaChain(path, signer, false)).toEqual(first);
    await expect(loadOrCreateTsaChain(join(dir, "issued.pem"), signer, false)).rejects.toThrow(
      /issued\.pem: the TSA certificate chain file does not exist/,
    );
  });
});

describe("tsaApi over HTTP", () => {
  let server: FastifyInstance;
  let chain: TsaChain;

  beforeAll(async () => {
    const signer = nodeSigner("ecdsa-p256-sha256");
    chain = await createTsaChain({ signer });
    // As the log service builds its server.
    server = createServer({ name: "tsa-test", logger: false, registry: new Registry(), errorStyle: "rekor" });
    server.post("/echo", async (request) => request.body);
    await server.register(tsaApi, {
      authority: new TimestampAuthority({ signer, chain: chain.der }),
      chainPem: chain.pem,
    });
  });
  afterAll(() => server.close());

  const post = (payload: string | Buffer, contentType = "application/json") =>
    server.inject({
      method: "POST",
      url: "/api/v1/timestamp",
      payload,
      headers: contentType === "" ? {} : { "content-type": contentType },
    });

  it("answers sigstore-js's JSON request with a DER TimeStampResp that verifies", async () => {
    const body = JSON.stringify({
      artifactHash: sha256(artifact).toString("base64"),
      hashAlgorithm: "sha256",
    });
    const reply = await post(body);
    expect(reply.statusCode).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/timestamp-reply");
    const timestamp = RFC3161Timestamp.parse(Buffer.from(reply.rawPayload));
    timestamp.verify(artifact, new NodeCertificate(chain.der[0] as Buffer).publicKey);
    expect(Math.abs(timestamp.signingTime.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("echoes a JSON integer nonce beyond 2^53 exactly and honours certificates", async () => {
    const imprint = sha256(artifact).toString("base64");
    const reply = await post(
      `{"artifactHash":"${imprint}","hashAlgorithm":"sha256","nonce":18446744073709551617,"certificates":true}`,
    );
    expect(reply.statusCode).toBe(200);
    const token = parseResponse(reply.rawPayload);
    expect(token.tstInfo.nonce?.toBigInt()).toBe(18446744073709551617n);
    expect(token.signedData.certificates).toHaveLength(2);
  });

  it("answers an application/timestamp-query DER request", async () => {
    const der = new TimeStampReq({
      version: 1,
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithmId: SHA256_OID }),
        hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(sha256(artifact)) }),
      }),
      nonce: asn1js.Integer.fromBigInt(42n),
    });
    const reply = await post(Buffer.from(der.toSchema().toBER()), "application/timestamp-query");
    expect(reply.statusCode).toBe(200);
    expect(parseResponse(reply.rawPayload).tstInfo.nonce?.toBigInt()).toBe(42n);
  });

  it("serves the PEM chain, leaf (critical timeStamping EKU) then root", async () => {
    const reply = await server.inject({ method: "GET", url: "/api/v1/timestamp/certchain" });
    expect(reply.statusCode).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/pem-certificate-chain");
    const pems = reply.body.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
    expect(pems.map((pem) => Buffer.from(new NodeCertificate(pem).raw))).toEqual(chain.der);
    expect(pems.join("")).toBe(reply.body);
    expect(extensionsOf(chain.der[0] as Buffer).get("2.5.29.37")?.critical).toBe(true);
  });

  it("keeps its body parsers to its own routes", async () => {
    const json = await server.inject({
      method: "POST",
      url: "/echo",
      payload: '{"nonce":18446744073709551617}',
      headers: { "content-type": "application/json" },
    });
    expect(json.json()).toEqual({ nonce: 2 ** 64 });
    const der = await server.inject({
      method: "POST",
      url: "/echo",
      payload: Buffer.from("3000", "hex"),
      headers: { "content-type": "application/timestamp-query" },
    });
    expect(der.statusCode).toBe(415);
  });

  it("rejects bad input with a 4xx and a code", async () => {
    const imprint = sha256(artifact).toString("base64");
    const cases: Array<[string | Buffer, string, number, string]> = [
      ['{"artifactHash":"not base64!","hashAlgorithm":"sha256"}', "application/json", 400, "INVALID_BASE64"],
      ['{"artifactHash":"AAAA","hashAlgorithm":"sha256"}', "application/json", 400, "INVALID_HASH_LENGTH"],
      [
        `{"artifactHash":"${imprint}","hashAlgorithm":"sha1"}`,
        "application/json",
        400,
        "UNSUPPORTED_HASH_ALGORITHM",
      ],
      [
        `{"artifactHash":"${imprint}","hashAlgorithm":"sha256","tsaPolicyOID":"1.2.3"}`,
        "application/json",
        400,
        "UNSUPPORTED_POLICY",
      ],
      [
        `{"artifactHash":"${imprint}","hashAlgorithm":"sha256","nonce":1.5}`,
        "application/json",
        400,
        "INVALID_NONCE",
      ],
      ['{"hashAlgorithm":"sha256"}', "application/json", 400, "MALFORMED_REQUEST"],
      ['{"artifactHash":', "application/json", 400, "MALFORMED_REQUEST"],
      ["[1,2]", "application/json", 400, "MALFORMED_REQUEST"],
      [Buffer.from("garbage"), "application/timestamp-query", 400, "MALFORMED_REQUEST"],
      [`{"artifactHash":"${imprint}","hashAlgorithm":"sha256"}`, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"],
      [Buffer.from("30030201", "hex"), "", 415, "UNSUPPORTED_MEDIA_TYPE"],
    ];
    for (const [payload, contentType, status, code] of cases) {
      const reply = await post(payload, contentType);
      expect(reply.json(), `${contentType} ${payload}`).toEqual({
        code: status,
        message: expect.any(String),
        reason: code,
      });
    }
  });
});
