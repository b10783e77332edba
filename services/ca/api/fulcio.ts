import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../../common/errors.ts";
import { encodePem } from "../../common/pem.ts";
import type { CertificateAuthority } from "../certificate/authority.ts";
import type { CtClient } from "../ct-client.ts";
import type { IssuerConfig, Principal } from "../identity/types.ts";
import type { IdentityVerifier } from "../identity/verifier.ts";
import type { CaMetrics } from "../metrics.ts";
import { verifyCsr, verifyPublicKeyRequest } from "../possession.ts";
import { RateLimitedError, type RateLimiter } from "../rate-limit.ts";

export interface FulcioApiOptions {
  ca: CertificateAuthority;
  identities: IdentityVerifier;
  issuers: IssuerConfig[];
  ct?: CtClient;
  limits: { perIp: RateLimiter; perIdentity: RateLimiter };
  metrics: CaMetrics;
}

interface SigningCertRequest {
  credentials?: { oidcIdentityToken: string };
  publicKeyRequest?: { publicKey: { algorithm?: string; content: string }; proofOfPossession: string };
  certificateSigningRequest?: string;
}

interface LegacySigningCertRequest {
  publicKey?: { algorithm?: string; content: string };
  signedEmailAddress?: string;
  certificateSigningRequest?: string;
}

const pem = (der: Buffer) => encodePem("CERTIFICATE", der);

// Fulcio's HTTP gateway also takes the token from `Authorization: Bearer` (cmd/app/http.go).
const signingCertSchema = {
  type: "object",
  properties: {
    credentials: {
      type: "object",
      required: ["oidcIdentityToken"],
      properties: { oidcIdentityToken: { type: "string", minLength: 1, maxLength: 16_384 } },
    },
    publicKeyRequest: {
      type: "object",
      required: ["publicKey", "proofOfPossession"],
      properties: {
        publicKey: {
          type: "object",
          required: ["content"],
          properties: { algorithm: { type: "string" }, content: { type: "string", maxLength: 16_384 } },
        },
        proofOfPossession: { type: "string", maxLength: 2048 },
      },
    },
    certificateSigningRequest: { type: "string", maxLength: 16_384 },
  },
} as const;

// fulcio_legacy.proto: every field is optional.
const legacySchema = {
  type: "object",
  properties: {
    publicKey: {
      type: "object",
      required: ["content"],
      properties: { algorithm: { type: "string" }, content: { type: "string", maxLength: 16_384 } },
    },
    signedEmailAddress: { type: "string", maxLength: 2048 },
    certificateSigningRequest: { type: "string", maxLength: 16_384 },
  },
} as const;

/** Fulcio's HTTP API (fulcio.proto via grpc-gateway, and the legacy v1 signingCert). */
export async function fulcioApi(server: FastifyInstance, options: FulcioApiOptions): Promise<void> {
  const { ca, identities, limits, metrics } = options;
  const chainPem = ca.chain.map(pem);

  /** Verifies the caller, then issues a certificate for the key `keyOf` proves possession of. */
  async function issueFor(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    keyOf: (principal: Principal) => Buffer,
  ) {
    try {
      limits.perIp.take(request.ip);
      const principal = await identities.verify(token);
      limits.perIdentity.take(`${principal.issuer} ${principal.san.value}`);
      const spki = keyOf(principal);
      const embed = options.ct
        ? (chain: Buffer[]) => (options.ct as CtClient).sctExtension(chain)
        : undefined;
      const leaf = await ca.issue(principal, spki, embed);
      metrics.issued(principal.issuerType);
      return [pem(leaf), ...chainPem];
    } catch (error) {
      if (error instanceof RateLimitedError) reply.header("Retry-After", String(error.retryAfterSeconds));
      throw error;
    }
  }

  // Refusals are counted by the code the client receives, so those Fastify raises before a
  // handler runs (bad JSON, wrong content type, body too large, schema violations) count too.
  server.addHook("onSend", async (_request, reply, payload) => {
    if (reply.statusCode >= 400) metrics.refused(errorCodeOf(payload));
    return payload;
  });

  server.post("/api/v2/signingCert", { schema: { body: signingCertSchema } }, async (request, reply) => {
    const body = request.body as SigningCertRequest;
    const { publicKeyRequest, certificateSigningRequest } = body;
    if ((publicKeyRequest === undefined) === (certificateSigningRequest === undefined)) {
      throw new ApiError(
        400,
        "MALFORMED_REQUEST",
        "give exactly one of publicKeyRequest and certificateSigningRequest",
      );
    }
    const token = body.credentials?.oidcIdentityToken ?? bearerToken(request);
    const certificates = await issueFor(request, reply, token, (principal) =>
      publicKeyRequest
        ? verifyPublicKeyRequest(publicKeyRequest, principal.challenge)
        : verifyCsr(csrText(certificateSigningRequest as string)),
    );
    // Without a CT log the SCT cannot be embedded; Fulcio then answers with the detached form.
    const key = options.ct ? "signedCertificateEmbeddedSct" : "signedCertificateDetachedSct";
    return reply.code(201).send({ [key]: { chain: { certificates } } });
  });

  server.post("/api/v1/signingCert", { schema: { body: legacySchema } }, async (request, reply) => {
    const token = bearerToken(request);
    const { publicKey, signedEmailAddress, certificateSigningRequest } =
      request.body as LegacySigningCertRequest;
    // Fulcio's legacy server: a non-empty CSR wins, else the key and its signed challenge.
    const keyOf = certificateSigningRequest
      ? () => verifyCsr(csrText(certificateSigningRequest))
      : publicKey && signedEmailAddress !== undefined
        ? (principal: Principal) =>
            verifyPublicKeyRequest(
              {
                publicKey: { algorithm: publicKey.algorithm, content: legacyKeyPem(publicKey.content) },
                proofOfPossession: signedEmailAddress,
              },
              principal.challenge,
            )
        : undefined;
    if (!keyOf) {
      throw new ApiError(
        400,
        "MALFORMED_REQUEST",
        "give certificateSigningRequest, or publicKey and signedEmailAddress",
      );
    }
    const certificates = await issueFor(request, reply, token, keyOf);
    return reply.code(201).type("application/pem-certificate-chain").send(certificates.join(""));
  });

  server.get("/api/v2/trustBundle", async () => ({ chains: [{ certificates: chainPem }] }));

  server.get("/api/v1/rootCert", async (_request, reply) =>
    reply.type("application/pem-certificate-chain").send(chainPem.join("")),
  );

  server.get("/api/v2/configuration", async () => ({
    issuers: options.issuers.map((issuer) => ({
      ...(issuer.url ? { issuerUrl: issuer.url } : { wildcardIssuerUrl: issuer.metaUrl }),
      audience: issuer.clientId,
      issuerType: issuer.type,
      challengeClaim: issuer.type === "email" ? "email" : "sub",
      ...(issuer.type === "spiffe" ? { spiffeTrustDomain: issuer.subjectDomain } : {}),
      ...(issuer.type === "uri" ? { subjectDomain: issuer.subjectDomain } : {}),
    })),
  }));
}

function bearerToken(request: FastifyRequest): string {
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
  if (!token) {
    throw new ApiError(
      401,
      "MISSING_TOKEN",
      "an OIDC identity token is required, in credentials.oidcIdentityToken or an Authorization: Bearer header",
    );
  }
  return token;
}

/** The `code` of an error body as the error handler serialized it. */
function errorCodeOf(payload: unknown): string {
  try {
    const { code } = JSON.parse(String(payload)) as { code?: unknown };
    return typeof code === "string" ? code : "UNKNOWN";
  } catch {
    return "UNKNOWN";
  }
}

/** grpc-gateway sends `bytes` fields base64-encoded; accept the PEM either way. */
function csrText(field: string): string {
  if (field.includes("-----BEGIN")) return field;
  return Buffer.from(field, "base64").toString("utf8");
}

/** The v1 API carried the key as base64 of its DER (or of a PEM) encoding. */
function legacyKeyPem(content: string): string {
  const decoded = Buffer.from(content, "base64");
  const text = decoded.toString("utf8");
  if (text.includes("-----BEGIN")) return text;
  return `-----BEGIN PUBLIC KEY-----\n${decoded.toString("base64")}\n-----END PUBLIC KEY-----\n`;
}
