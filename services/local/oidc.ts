import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { FastifyInstance } from "fastify";
import { exportJWK, SignJWT } from "jose";
import { ApiError } from "../common/errors.ts";

/**
 * The development OIDC issuer of a local instance: discovery, JWKS, and a token endpoint that
 * signs whatever identity it is asked for. Local mode only — it authenticates nobody, which is
 * why nothing in a cluster ever trusts it.
 */
export interface DevIssuer {
  readonly keyId: string;
  /** Registers discovery, JWKS and `POST /token` on a server whose base URL is `issuer`. */
  register(server: FastifyInstance, issuer: string): Promise<void>;
}

const tokenLifetimeSeconds = 600;

function loadOrCreateKey(path: string): KeyObject {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  }
  return createPrivateKey(readFileSync(path, "utf8"));
}

export function devIssuer(keyPath: string): DevIssuer {
  const privateKey = loadOrCreateKey(keyPath);
  const keyId = "signet-dev";
  return {
    keyId,
    async register(server, issuer) {
      const jwk = { ...(await exportJWK(createPublicKey(privateKey))), kid: keyId, alg: "ES256", use: "sig" };
      server.get("/.well-known/openid-configuration", async () => ({
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["ES256"],
      }));
      server.get("/jwks", async () => ({ keys: [jwk] }));
      server.post(
        "/token",
        {
          schema: {
            body: {
              type: "object",
              required: ["sub"],
              additionalProperties: false,
              properties: {
                sub: { type: "string", minLength: 1, maxLength: 255 },
                email: { type: "string", format: "email", maxLength: 255 },
              },
            },
          },
        },
        async (request) => {
          const { sub, email } = request.body as { sub: string; email?: string };
          if (sub.trim() === "") throw new ApiError(400, "MALFORMED_REQUEST", "sub must not be blank");
          const claims = email ? { email, email_verified: true } : {};
          const idToken = await new SignJWT(claims)
            .setProtectedHeader({ alg: "ES256", kid: keyId, typ: "JWT" })
            .setIssuer(issuer)
            .setSubject(sub)
            .setAudience("sigstore")
            .setIssuedAt()
            .setExpirationTime(`${tokenLifetimeSeconds}s`)
            .sign(privateKey);
          return { id_token: idToken };
        },
      );
    },
  };
}
