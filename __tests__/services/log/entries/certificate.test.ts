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

  // Each is taken by Go's x509 and by OpenSSL alike, and both read these names from it.
  it.each<[string, (certificate: Element[], tbs: Element[]) => void]>([
    [
      "a v1 certificate, which has no extensions",
      (_, tbs) => {
        tbs.splice(0, 1); // version
        tbs.splice(
          tbs.findIndex((field) => field.tag === 0xa3),
          1,
        );
      },
    ],
    [
      "validity times with offsets",
      (_, tbs) => {
        at(tbs[4], 0).content = Buffer.from("260101000000+0100");
        at(tbs[4], 1).content = Buffer.from("491231235959-0930");
      },
    ],
    [
      "GeneralizedTime validity",
      (_, tbs) => {
        Object.assign(at(tbs[4], 0), { tag: 0x18, content: Buffer.from("20000229120000Z") });
        Object.assign(at(tbs[4], 1), { tag: 0x18, content: Buffer.from("20500101000000Z") });
      },
    ],
    [
      "a UTCTime of 29 February 2000 (year 00)",
      (_, tbs) => (at(tbs[4], 0).content = Buffer.from("000229000000Z")),
    ],
    [
      "issuer names in each string type Go reads",
      (_, tbs) => {
        const attribute = (tag: number, value: Buffer): Element => ({
          tag: 0x31,
          children: [
            {
              tag: 0x30,
              children: [
                { tag: 0x06, content: Buffer.from("550403", "hex") },
                { tag, content: value },
              ],
            },
          ],
        });
        at(tbs[3]).children?.push(
          attribute(0x13, Buffer.from("Signet *&'()+,-./:=? 0")),
          attribute(0x12, Buffer.from("0123 456")),
          attribute(0x14, Buffer.from([0x53, 0xe9])),
          attribute(0x16, Buffer.from("ia5@example.com")),
          attribute(0x1e, Buffer.from("0053006900670000", "hex")),
        );
      },
    ],
    [
      "bytes after the GeneralNames in the SAN extension",
      (_, tbs) => {
        const value = at(extensionOf(tbs, SAN_OID).extension, 2);
        value.content = Buffer.concat([value.content ?? Buffer.alloc(0), Buffer.of(0x05, 0x00)]);
      },
    ],
    [
      "SANs of other forms beside the email and URI",
      (_, tbs) => {
        const value = at(extensionOf(tbs, SAN_OID).extension, 2);
        const names = decode(value.content ?? Buffer.alloc(0));
        names.children?.push(
          { tag: 0x82, content: Buffer.from("example.com") },
          { tag: 0x87, content: Buffer.of(127, 0, 0, 1) },
          {
            tag: 0xa0,
            children: [
              { tag: 0x06, content: Buffer.from("2b0601040183bf300107", "hex") },
              { tag: 0xa0, children: [{ tag: 0x0c, content: Buffer.from("alice") }] },
            ],
          },
        );
        value.content = encode(names);
      },
    ],
  ])("takes %s, reading what node reads", (_, edit) => {
    const der = edited(leaf.der, edit);
    const node = new X509Certificate(der);
    const fields = readCertificateFields(der);
    expect(fields.spki.equals(node.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    const named = [...fields.emails.map((e) => `email:${e}`), ...fields.uris.map((u) => `URI:${u}`)];
    const nodeNames = (node.subjectAltName ?? "").split(", ").filter((n) => /^(email|URI):/.test(n));
    expect(named).toEqual(nodeNames);
  });

  // Each is a well-formed DER tree that Go's x509, OpenSSL or both refuse. The log refused those
  // that only OpenSSL refuses before it read certificates itself, and still does.
  it.each<[string, (certificate: Element[], tbs: Element[]) => void]>([
    ["version 4", (_, tbs) => (at(tbs[0], 0).content = Buffer.of(3))],
    [
      "extensions in a v2 certificate (Go would not read them, OpenSSL would)",
      (_, tbs) => (at(tbs[0], 0).content = Buffer.of(1)),
    ],
    ["extensions in a v1 certificate", (_, tbs) => tbs.splice(0, 1)],
    [
      "a unique identifier in a v1 certificate",
      (_, tbs) => {
        tbs.splice(0, 1);
        tbs.splice(
          tbs.findIndex((field) => field.tag === 0xa3),
          1,
          { tag: 0x81, content: Buffer.of(0, 1) },
        );
      },
    ],
    ["an empty serial number", (_, tbs) => (at(tbs[1]).content = Buffer.alloc(0))],
    ["a negative serial number", (_, tbs) => (at(tbs[1]).content = Buffer.of(0x80, 1))],
    ["a serial number with a redundant leading zero", (_, tbs) => (at(tbs[1]).content = Buffer.of(0, 1))],
    ["a serial number that is not an INTEGER", (_, tbs) => (at(tbs[1]).tag = 0x04)],
    [
      "inner and outer signature algorithms that differ",
      (_, tbs) => (at(tbs[2], 0).content = Buffer.from("2a8648ce3d040303", "hex")),
    ],
    [
      "an empty signature algorithm OID",
      (certificate, tbs) => {
        at(tbs[2], 0).content = Buffer.alloc(0);
        at(certificate[1], 0).content = Buffer.alloc(0);
      },
    ],
    // Inside an element the reader does not look into: only the strict walk of every element sees it.
    [
      "a long-form length inside the signature algorithm's parameters",
      (certificate, tbs) => {
        for (const algorithm of [at(tbs[2]), at(certificate[1])])
          algorithm.children?.push({ tag: 0x30, content: Buffer.from("02810100", "hex") });
      },
    ],
    ["an issuer RDN that is not a SET", (_, tbs) => (at(tbs[3], 0).tag = 0x30)],
    ["an issuer attribute without a value", (_, tbs) => at(tbs[3], 0, 0).children?.splice(1, 1)],
    [
      "an issuer attribute type written with a redundant byte",
      (_, tbs) => (at(tbs[3], 0, 0, 0).content = Buffer.from("55800403", "hex")),
    ],
    [
      "an issuer value that is not UTF-8",
      (_, tbs) => (at(tbs[3], 0, 0, 1).content = Buffer.from("fffe", "hex")),
    ],
    [
      "an issuer PrintableString with @",
      (_, tbs) => Object.assign(at(tbs[3], 0, 0, 1), { tag: 0x13, content: Buffer.from("a@b") }),
    ],
    [
      "an issuer BMPString of odd length",
      (_, tbs) => Object.assign(at(tbs[3], 0, 0, 1), { tag: 0x1e, content: Buffer.of(0, 0x41, 0) }),
    ],
    [
      "an issuer value that is not a string",
      (_, tbs) => Object.assign(at(tbs[3], 0, 0, 1), { tag: 0x02, content: Buffer.of(1) }),
    ],
    ["a validity time without seconds", (_, tbs) => (at(tbs[4], 0).content = Buffer.from("2612080530Z"))],
    ["a validity time in month 13", (_, tbs) => (at(tbs[4], 0).content = Buffer.from("261308053000Z"))],
    ["a validity time on 30 February", (_, tbs) => (at(tbs[4], 0).content = Buffer.from("260230053000Z"))],
    [
      "a validity time with a +0000 offset",
      (_, tbs) => (at(tbs[4], 0).content = Buffer.from("261208053000+0000")),
    ],
    [
      "a validity time with fractional seconds",
      (_, tbs) => Object.assign(at(tbs[4], 0), { tag: 0x18, content: Buffer.from("20261208053000.5Z") }),
    ],
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
    // A decoder that let the redundant byte through would read 2.5.29.17 and index the email; Go
    // and OpenSSL see no SAN extension at all.
    [
      "the SAN extension's OID written with a redundant byte",
      (_, tbs) => (at(extensionOf(tbs, SAN_OID).extension, 0).content = Buffer.from("551d8011", "hex")),
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
      "a SAN DNS name that is not an IA5String",
      (_, tbs) => {
        const value = at(extensionOf(tbs, SAN_OID).extension, 2);
        value.content = encode({
          tag: 0x30,
          children: [{ tag: 0x82, content: Buffer.from("ä.example", "utf8") }],
        });
      },
    ],
    [
      "a SAN IP address of 5 bytes",
      (_, tbs) => {
        const value = at(extensionOf(tbs, SAN_OID).extension, 2);
        value.content = encode({ tag: 0x30, children: [{ tag: 0x87, content: Buffer.alloc(5) }] });
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
    ["an empty signature BIT STRING", (certificate) => (at(certificate[2]).content = Buffer.alloc(0))],
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
