/**
 * HTTP helpers for the CA's API tests: requests as clients send them, answers as clients read
 * them, and the Prometheus counters the CA exposes.
 */
import { createServer } from "node:net";
import * as asn1js from "asn1js";
import { AlgorithmIdentifier, AttributeTypeAndValue, CertificationRequest, PublicKeyInfo } from "pkijs";
import { type TestKey, type TestKeyType, toPem } from "../../support/pki.ts";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The JSON body, or undefined when the body is not JSON. */
  body: any;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

export async function get(url: string): Promise<Answer> {
  return answerOf(await fetch(url));
}

/** POSTs `body` as JSON (a string is sent as it is) with any extra headers. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return answerOf(response);
}

/** The digest Fulcio verifies each key's proof of possession with (sigstore signature.LoadDefaultVerifier). */
export function proofHash(type: TestKeyType): "sha256" | "sha384" | "sha512" {
  return type === "ecdsa-p384" ? "sha384" : type === "ecdsa-p521" ? "sha512" : "sha256";
}

const algorithmField: Record<TestKeyType, string> = {
  "ecdsa-p256": "ECDSA",
  "ecdsa-p384": "ECDSA",
  "ecdsa-p521": "ECDSA",
  "rsa-2048": "RSA_PSS",
  ed25519: "ED25519",
};

/** fulcio.proto PublicKeyRequest as sigstore-js builds it: SPKI PEM and a signature over the challenge. */
export function publicKeyRequest(key: TestKey, challenge: string) {
  return {
    publicKey: { algorithm: algorithmField[key.type], content: key.publicKeyPem },
    proofOfPossession: key.sign(Buffer.from(challenge, "utf8"), proofHash(key.type)).toString("base64"),
  };
}

const csrSignatureOids: Record<TestKeyType, string> = {
  "ecdsa-p256": "1.2.840.10045.4.3.2",
  "ecdsa-p384": "1.2.840.10045.4.3.3",
  "ecdsa-p521": "1.2.840.10045.4.3.4",
  "rsa-2048": "1.2.840.113549.1.1.11",
  ed25519: "1.3.101.112",
};

/** A PKCS#10 request (RFC 2986) for `key`, self-signed as Go's x509.CreateCertificateRequest does. */
export function csrPem(key: TestKey): string {
  const request = new CertificationRequest();
  request.subject.typesAndValues.push(
    new AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: "ignored" }) }),
  );
  request.subjectPublicKeyInfo = PublicKeyInfo.fromBER(new Uint8Array(key.spki));
  request.signatureAlgorithm = new AlgorithmIdentifier({ algorithmId: csrSignatureOids[key.type] });
  // encodeTBS is protected in pkijs' typings; the request is signed by node so every key type works.
  const info = Buffer.from((request as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER());
  request.tbsView = new Uint8Array(info);
  const signature = key.sign(info, proofHash(key.type));
  request.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(signature) });
  return toPem("CERTIFICATE REQUEST", Buffer.from(request.toSchema().toBER()));
}

/** The DER inside a single PEM block. */
export function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
}

/** The DER certificates in a PEM text or a list of PEM strings, in order. */
export function certificatesOf(pem: string | string[]): Buffer[] {
  const text = Array.isArray(pem) ? pem.join("") : pem;
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((match) =>
    Buffer.from((match[1] ?? "").replace(/\s/g, ""), "base64"),
  );
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of the Prometheus text exposition at `${url}/metrics`. */
export async function metrics(url: string): Promise<Sample[]> {
  const { text } = await get(`${url}/metrics`);
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    samples.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample named `name` whose labels include `labels`, 0 when there is none. */
export async function metric(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const found = (await metrics(url)).find(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found?.value ?? 0;
}

export const refusals = (url: string, reason: string) => metric(url, "signet_ca_refusals_total", { reason });

/** A loopback port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
