// What the load generator sends, prepared before the clock starts: `POST /api/v2/signingCert` as
// sigstore-js builds it (@sigstore/sign signer/fulcio: an ephemeral P-256 key as SPKI PEM, and the
// proof of possession `sign('sha256', email)`), each with its own key and a token of one of
// `identities` email identities.
import { generateKeyPairSync, sign } from "node:crypto";
import type { TestOidcIssuer } from "../__tests__/support/oidc.ts";

export interface SigningRequest {
  /** The whole HTTP/1.1 request, headers and body. */
  raw: Buffer;
  email: string;
  /** DER SubjectPublicKeyInfo of the ephemeral key the certificate must certify. */
  spki: Buffer;
}

// make-fetch-happen's headers, with sigstore-js's User-Agent (packages/sign/src/util/ua.ts).
const userAgent = `sigstore-js/5.1.0 (Node ${process.version}) (${process.platform}/${process.arch})`;

export async function prepareRequests(
  issuer: TestOidcIssuer,
  host: string,
  count: number,
  identities: number,
): Promise<SigningRequest[]> {
  const now = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(
    Array.from({ length: Math.min(identities, count) }, async (_, i) => {
      const email = `signer-${i}@bench.signet.test`;
      // Valid for an hour, so no token expires during a long run.
      const token = await issuer.mint({ sub: `signer-${i}`, email, email_verified: true, exp: now + 3600 });
      return { email, token };
    }),
  );
  return Array.from({ length: count }, (_, i) => {
    const { email, token } = tokens[i % tokens.length] as { email: string; token: string };
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const body = JSON.stringify({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { algorithm: "ECDSA", content: publicKey.export({ format: "pem", type: "spki" }) },
        proofOfPossession: sign("sha256", Buffer.from(email), privateKey).toString("base64"),
      },
    });
    const head =
      `POST /api/v2/signingCert HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${userAgent}\r\n` +
      "Content-Type: application/json\r\nAccept: */*\r\nAccept-Encoding: gzip,deflate\r\n" +
      `Connection: keep-alive\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return {
      raw: Buffer.from(head + body),
      email,
      spki: publicKey.export({ type: "spki", format: "der" }),
    };
  });
}
