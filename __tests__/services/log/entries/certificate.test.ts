import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { childrenOf, DerFormatError, encodeTlv, readTlv, type Tlv } from "../../../../services/log/ct/der.ts";
import { readCertificateFields } from "../../../../services/log/entries/certificate.ts";
import { parseVerificationKey } from "../../../../services/log/entries/keys.ts";
import { createCa, generateKey, issueLeaf, type TestCertificate, toPem } from "../../../support/pki.ts";

/** A DER element as a tree the tests can edit, then write back with every length recomputed. */
interface Element {
  tag: number;
  content?: Buffer;
  children?: Element[];
}

function decode(der: Buffer, tlv: Tlv = readTlv(der, 0)): Element {
  if (tlv.tag & 0x20)
    return { tag: tlv.tag, children: childrenOf(der, tlv).map((child) => decode(der, child)) };
  return { tag: tlv.tag, content: der.subarray(tlv.contentStart, tlv.end) };
}

function encode(element: Element): Buffer {
  const content = element.children ? Buffer.concat(element.children.map(encode)) : element.content;
  return encodeTlv(element.tag, content ?? Buffer.alloc(0));
}

/** The certificate with `edit` applied to its tree: [tbs, signatureAlgorithm, signatureValue]. */
function edited(der: Buffer, edit: (certificate: Element[], tbs: Element[]) => void): Buffer {
  const certificate = decode(der);
  const parts = certificate.children as Element[];
  edit(parts, (parts[0] as Element).children as Element[]);
  return encode(certificate);
}

/** The element at `path` of child indexes below `element`. */
function at(element: Element | undefined, ...path: number[]): Element {
  let found = element;
  for (const index of path) found = found?.children?.[index];
  if (!found) throw new Error(`no element at ${path.join(".")}`);
  return found;
}

/** The Extension with this OID's DER content, in a TBSCertificate's fields. */
function extensionOf(tbs: Element[], oidHex: string): { list: Element[]; extension: Element } {
  const list =
    at(
      tbs.find((field) => field.tag === 0xa3),
      0,
    ).children ?? [];
  const extension = list.find((e) => at(e, 0).content?.toString("hex") === oidHex);
  if (!extension) throw new Error(`no extension ${oidHex}`);
  return { list, extension };
}

const SAN_OID = "551d11";
const utf8Email = Buffer.from("alice@exämple.com", "utf8");

let ca: TestCertificate;
let leaf: TestCertificate;
beforeAll(async () => {
  ca = await createCa();
  leaf = await issueLeaf(ca, {
    email: "Alice@Example.com",
    uri: "https://github.com/o/r/.github/workflows/w.yml@refs/heads/main",
  });
});

describe("readCertificateFields", () => {
  it("reads the key and SANs node reads, for every key type and none or several SANs", async () => {
    const certificates = [
      leaf,
      ca,
      await issueLeaf(ca, { email: "a@example.com", key: generateKey("ecdsa-p384") }),
      await issueLeaf(ca, { uri: "spiffe://example.org/ns/a/sa/b", key: generateKey("rsa-2048") }),
      await issueLeaf(ca, { email: "b@example.com", key: generateKey("ed25519") }),
    ];
    for (const { der } of certificates) {
      const node = new X509Certificate(der);
      const fields = readCertificateFields(der);
      expect(fields.spki.equals(node.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
      const named = [...fields.emails.map((e) => `email:${e}`), ...fields.uris.map((u) => `URI:${u}`)];
      expect(named.join(", ")).toBe(node.subjectAltName ?? "");
    }
    expect(readCertificateFields(leaf.der)).toMatchObject({
      emails: ["Alice@Example.com"],
      uris: ["https://github.com/o/r/.github/workflows/w.yml@refs/heads/main"],
    });
  });

  it("reads a certificate without the optional parts: v1, no extensions", () => {
    const v1 = edited(leaf.der, (_, tbs) => {
      tbs.splice(0, 1); // version
      tbs.splice(
        tbs.findIndex((field) => field.tag === 0xa3),
        1,
      );
    });
    expect(readCertificateFields(v1)).toMatchObject({ emails: [], uris: [] });
    expect(() => new X509Certificate(v1)).not.toThrow();
  });

  // Each is a well-formed DER tree that Go's x509.ParseCertificate refuses.
  it.each<[string, (certificate: Element[], tbs: Element[]) => void]>([
    ["version 4", (_, tbs) => (at(tbs[0], 0).content = Buffer.of(3))],
    ["a serial number with a redundant leading zero", (_, tbs) => (at(tbs[1]).content = Buffer.of(0, 1))],
    ["a serial number that is not an INTEGER", (_, tbs) => (at(tbs[1]).tag = 0x04)],
    [
      "inner and outer signature algorithms that differ",
      (_, tbs) => (at(tbs[2], 0).content = Buffer.from("2a8648ce3d040303", "hex")),
    ],
    ["an issuer RDN that is not a SET", (_, tbs) => (at(tbs[3], 0).tag = 0x30)],
    ["an issuer attribute without a value", (_, tbs) => at(tbs[3], 0, 0).children?.splice(1, 1)],
    ["a validity time without seconds", (_, tbs) => (at(tbs[4], 0).content = Buffer.from("2612080530Z"))],
    ["one validity time", (_, tbs) => at(tbs[4]).children?.splice(1, 1)],
    ["a key that is not a BIT STRING", (_, tbs) => (at(tbs[6], 1).tag = 0x04)],
    ["a field after the extensions", (_, tbs) => tbs.push({ tag: 0x02, content: Buffer.of(1) })],
    ["fields out of order", (_, tbs) => tbs.splice(4, 2, tbs[5] as Element, tbs[4] as Element)],
    [
      "an extension twice",
      (_, tbs) => {
        const { list, extension } = extensionOf(tbs, SAN_OID);
        list.push(extension);
      },
    ],
    [
      "a critical flag that is neither TRUE nor FALSE",
      (_, tbs) => (at(extensionOf(tbs, SAN_OID).extension, 1).content = Buffer.of(1)),
    ],
    [
      "a SAN email that is not an IA5String",
      (_, tbs) => {
        const value = at(extensionOf(tbs, SAN_OID).extension, 2);
        value.content = encode({ tag: 0x30, children: [{ tag: 0x81, content: utf8Email }] });
      },
    ],
    [
      "an empty subjectAltName",
      (_, tbs) => {
        const value = at(extensionOf(tbs, SAN_OID).extension, 2);
        value.content = encode({ tag: 0x30, children: [] });
      },
    ],
    ["a signature that is not a BIT STRING", (certificate) => (at(certificate[2]).tag = 0x04)],
    [
      "a fourth field in the Certificate",
      (certificate) => certificate.push({ tag: 0x05, content: Buffer.alloc(0) }),
    ],
  ])("refuses %s", (_, edit) => {
    const der = edited(leaf.der, edit);
    expect(() => readCertificateFields(der)).toThrow(DerFormatError);
    // Through the log's key reader, it is a 400 that names the field.
    expect(() =>
      parseVerificationKey(Buffer.from(toPem("CERTIFICATE", der)), "spec.signature.publicKey.content"),
    ).toThrow(expect.objectContaining({ status: 400, code: "BAD_ENCODING" }));
  });

  it("writes the untouched certificate back byte for byte, so the edits above are all that differ", () => {
    expect(edited(leaf.der, () => {}).equals(leaf.der)).toBe(true);
  });
});
