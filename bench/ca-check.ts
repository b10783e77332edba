// A benchmark that counts wrong answers as throughput proves nothing: sampled answers are checked
// as sigstore-js checks a signing certificate (@sigstore/verify key/certificate.ts and key/sct.ts,
// with @sigstore/core's parser): the served chain, the leaf's signature by the intermediate, the
// identity and key it certifies, and its embedded SCT under the CT log's key.
import { createHash, createPublicKey } from "node:crypto";
import { ByteStream, crypto, X509Certificate, X509SCTExtension } from "@sigstore/core";
import type { SigningRequest } from "./ca-requests.ts";
import { pemBlocks } from "./ca-stack.ts";

const fulcioIssuerV2 = "1.3.6.1.4.1.57264.1.8";

/** Throws on the first sampled answer a sigstore client would refuse. */
export function checkCertificates(
  samples: ReadonlyArray<{ index: number; body: string }>,
  requests: readonly SigningRequest[],
  chain: readonly Buffer[],
  ctPublicKeyPem: string,
  issuerUrl: string,
): void {
  const ctKey = createPublicKey(ctPublicKeyPem);
  const logId = createHash("sha256")
    .update(ctKey.export({ type: "spki", format: "der" }))
    .digest();
  const intermediate = X509Certificate.parse(Buffer.from(chain[0] as Buffer));
  for (const { index, body } of samples) {
    const fail = (what: string) => {
      throw new Error(`answer to request ${index}: ${what}`);
    };
    const request = requests[index] as SigningRequest;
    const pems = (JSON.parse(body) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } })
      .signedCertificateEmbeddedSct.chain.certificates;
    const served = pems.flatMap(pemBlocks);
    if (served.length !== chain.length + 1 || chain.some((der, i) => !der.equals(served[i + 1] as Buffer)))
      fail("the served chain is not the CA's");
    const leaf = X509Certificate.parse(Buffer.from(served[0] as Buffer));
    if (!leaf.verify(intermediate)) fail("the leaf is not signed by the intermediate");
    if (!leaf.validForDate(new Date())) fail("the leaf is not valid now");
    if (leaf.subjectAltName !== request.email) fail(`SAN ${leaf.subjectAltName} is not ${request.email}`);
    if (!leaf.publicKey.equals(request.spki)) fail("the leaf certifies another key");
    const issuer = leaf.extension(fulcioIssuerV2)?.value.subarray(2).toString();
    if (issuer !== issuerUrl) fail(`issuer extension ${issuer} is not ${issuerUrl}`);
    checkSct(leaf, intermediate, ctKey, logId, fail);
  }
}

/** @sigstore/verify key/sct.ts verifySCTs: the precertificate the log signed is the leaf without its SCT list. */
function checkSct(
  leaf: X509Certificate,
  issuer: X509Certificate,
  ctKey: crypto.KeyObject,
  logId: Buffer,
  fail: (what: string) => never,
): void {
  const precert = leaf.clone();
  const at = precert.extensions.findIndex((ext) => ext.subs[0]?.toOID() === "1.3.6.1.4.1.11129.2.4.2");
  if (at < 0) fail("the leaf embeds no SCT");
  const [extension] = precert.extensions.splice(at, 1);
  const scts = new X509SCTExtension(extension as (typeof precert.extensions)[number])
    .signedCertificateTimestamps;
  const signed = new ByteStream();
  signed.appendView(crypto.digest("sha256", issuer.publicKey));
  const tbs = precert.tbsCertificate.toDER();
  signed.appendUint24(tbs.length);
  signed.appendView(tbs);
  if (scts.length !== 1) fail(`${scts.length} SCTs embedded, expected 1`);
  for (const sct of scts) {
    if (!sct.logID.equals(logId)) fail("the SCT is from another log");
    if (!sct.verify(signed.buffer, ctKey)) fail("the SCT's signature does not verify");
  }
}
