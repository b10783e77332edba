/**
 * Throwaway keys and Fulcio-like certificates for tests.
 *
 * Certificates are built with pkijs over node's webcrypto. (@peculiar/x509 2.x would be the
 * shorter road, but it refuses to load without a Reflect metadata polyfill, which is not a
 * dependency of this project.)
 */
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  type webcrypto,
} from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

export type TestKeyType = "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521" | "rsa-2048" | "ed25519";

export interface TestKey {
  readonly type: TestKeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  /** SPKI PEM, the form a client sends for a bare public key. */
  readonly publicKeyPem: string;
  /** Signs `data` as sigstore clients do: ECDSA/RSA PKCS#1 v1.5 over SHA-256 (unless `hash` says otherwise), pure Ed25519. */
  sign(data: Buffer, hash?: "sha256" | "sha384" | "sha512"): Buffer;
}

export interface TestCertificate {
  readonly der: Buffer;
  readonly pem: string;
  /** The key pair the certificate certifies. */
  readonly key: TestKey;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CaOptions {
  commonName?: string;
  organization?: string;
  /** ECDSA only: the key signs certificates through webcrypto. Default P-256. */
  key?: TestKey;
  /** Signs the CA certificate; self-signed when absent (a root). */
  issuer?: TestCertificate;
  notBefore?: Date;
  notAfter?: Date;
}

export interface LeafOptions {
  /** rfc822Name SAN (Fulcio's email identities). */
  email?: string;
  /** URI SAN (Fulcio's workload identities). */
  uri?: string;
  /** Default: a fresh P-256 key, as sigstore-js uses. */
  key?: TestKey;
  /** OIDC issuer, written as Fulcio does in extensions 1.3.6.1.4.1.57264.1.1 (raw) and .1.8 (UTF8String). */
  oidcIssuer?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** More extensions, appended as given. */
  extensions?: pkijs.Extension[];
}

const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  fulcioIssuerV1: "1.3.6.1.4.1.57264.1.1",
  fulcioIssuerV2: "1.3.6.1.4.1.57264.1.8",
} as const;

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;

const KEY_PARAMETERS = {
  "ecdsa-p256": () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
  "ecdsa-p384": () => generateKeyPairSync("ec", { namedCurve: "P-384" }),
  "ecdsa-p521": () => generateKeyPairSync("ec", { namedCurve: "P-521" }),
  "rsa-2048": () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  ed25519: () => generateKeyPairSync("ed25519"),
} satisfies Record<TestKeyType, () => { privateKey: KeyObject; publicKey: KeyObject }>;

export function generateKey(type: TestKeyType = "ecdsa-p256"): TestKey {
  const { privateKey, publicKey } = KEY_PARAMETERS[type]();
  return {
    type,
    privateKey,
    publicKey,
    spki: publicKey.export({ type: "spki", format: "der" }),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (data, hash = "sha256") => sign(type === "ed25519" ? null : hash, data, privateKey),
  };
}

/** A CA certificate (CA:true, keyCertSign): a self-signed root, or an intermediate when `issuer` is given. */
export async function createCa(options: CaOptions = {}): Promise<TestCertificate> {
  const key = options.key ?? generateKey();
  const notBefore = options.notBefore ?? new Date(Date.now() - 60 * MINUTE);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 10 * YEAR);
  const subject = names({
    commonName: options.commonName ?? "signet test CA",
    organization: options.organization,
  });
  const extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true }).toSchema()),
    extension(OID.keyUsage, true, keyUsage(0x06, 1)), // keyCertSign | cRLSign (RFC 5280 §4.2.1.3)
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyIdentifier(key) })),
  ];
  if (options.issuer) extensions.push(authorityKeyIdentifier(options.issuer.key));
  const issuerName = options.issuer ? pkijs.Certificate.fromBER(options.issuer.der).subject : subject;
  const signer = options.issuer?.key ?? key;
  return certify({ key, subject, issuerName, signer, notBefore, notAfter, extensions });
}

/** A Fulcio-shaped leaf (Fulcio pkg/ca/common.go): empty subject, one critical SAN, digitalSignature, codeSigning. */
export async function issueLeaf(issuer: TestCertificate, options: LeafOptions): Promise<TestCertificate> {
  if (!options.email && !options.uri) throw new Error("issueLeaf needs an email or a uri SAN");
  const key = options.key ?? generateKey();
  const notBefore = options.notBefore ?? new Date(Date.now() - MINUTE);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 10 * MINUTE);
  const sans = [
    ...(options.email ? [new pkijs.GeneralName({ type: 1, value: options.email })] : []),
    ...(options.uri ? [new pkijs.GeneralName({ type: 6, value: options.uri })] : []),
  ];
  const extensions = [
    extension(OID.keyUsage, true, keyUsage(0x80, 7)), // digitalSignature
    extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.codeSigning] }).toSchema()),
    extension(OID.subjectAltName, true, new pkijs.GeneralNames({ names: sans }).toSchema()),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyIdentifier(key) })),
    authorityKeyIdentifier(issuer.key),
    ...(options.oidcIssuer ? issuerExtensions(options.oidcIssuer) : []),
    ...(options.extensions ?? []),
  ];
  const issuerName = pkijs.Certificate.fromBER(issuer.der).subject;
  const subject = new pkijs.RelativeDistinguishedNames();
  return certify({ key, subject, issuerName, signer: issuer.key, notBefore, notAfter, extensions });
}

/** PEM with 64-column lines, as Go's encoding/pem and node write it. */
export function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface CertifyInput {
  key: TestKey;
  subject: pkijs.RelativeDistinguishedNames;
  issuerName: pkijs.RelativeDistinguishedNames;
  signer: TestKey;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
}

async function certify(input: CertifyInput): Promise<TestCertificate> {
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ valueHex: serialNumber() });
  certificate.subject = input.subject;
  certificate.issuer = input.issuerName;
  certificate.notBefore.value = input.notBefore;
  certificate.notAfter.value = input.notAfter;
  certificate.extensions = input.extensions;
  certificate.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(input.key.spki);
  const { signingKey, hash } = webcryptoSigningKey(input.signer);
  await certificate.sign(signingKey, hash);
  const der = Buffer.from(certificate.toSchema(true).toBER(false));
  return {
    der,
    pem: toPem("CERTIFICATE", der),
    key: input.key,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
  };
}

function webcryptoSigningKey(key: TestKey): { signingKey: webcrypto.CryptoKey; hash: string } {
  const curves: Partial<Record<TestKeyType, { namedCurve: string; hash: string }>> = {
    "ecdsa-p256": { namedCurve: "P-256", hash: "SHA-256" },
    "ecdsa-p384": { namedCurve: "P-384", hash: "SHA-384" },
  };
  const curve = curves[key.type];
  if (!curve) throw new Error(`test CAs sign with ECDSA P-256 or P-384, not ${key.type}`);
  const algorithm = { name: "ECDSA", namedCurve: curve.namedCurve };
  return {
    signingKey: key.privateKey.toCryptoKey(algorithm, false, ["sign"]) as webcrypto.CryptoKey,
    hash: curve.hash,
  };
}

function names(values: {
  commonName: string;
  organization?: string | undefined;
}): pkijs.RelativeDistinguishedNames {
  const attribute = (type: string, value: string) =>
    new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) });
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      ...(values.organization ? [attribute(OID.organization, values.organization)] : []),
      attribute(OID.commonName, values.commonName),
    ],
  });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function keyUsage(bits: number, unusedBits: number): asn1js.BitString {
  return new asn1js.BitString({ valueHex: Uint8Array.of(bits), unusedBits });
}

function authorityKeyIdentifier(issuerKey: TestKey): pkijs.Extension {
  const identifier = new asn1js.OctetString({ valueHex: keyIdentifier(issuerKey) });
  const value = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: identifier });
  return extension(OID.authorityKeyIdentifier, false, value.toSchema());
}

function issuerExtensions(oidcIssuer: string): pkijs.Extension[] {
  return [
    new pkijs.Extension({
      extnID: OID.fulcioIssuerV1,
      extnValue: new TextEncoder().encode(oidcIssuer).buffer,
    }),
    extension(OID.fulcioIssuerV2, false, new asn1js.Utf8String({ value: oidcIssuer })),
  ];
}

// RFC 5280 §4.2.1.2 leaves the method open; a truncated SHA-256 of the SPKI is unique enough here.
function keyIdentifier(key: TestKey): Uint8Array {
  return new Uint8Array(createHash("sha256").update(key.spki).digest().subarray(0, 20));
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets; Fulcio uses 160 random bits.
function serialNumber(): Uint8Array {
  const serial = randomBytes(20);
  // High bit clear (positive) and the next one set, so DER needs no leading zero octet either way.
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return new Uint8Array(serial);
}
