/**
 * A local OpenID provider for tests (and the development issuer): discovery and JWKS over HTTP on
 * a free loopback port, and tokens minted with whatever claims, headers and keys a test needs,
 * including the forged ones (HMAC with the public key as secret, `alg: none`).
 */
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";

export interface OidcSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** SPKI PEM of the public key: the bytes a key-confusion attack uses as an HMAC secret. */
  readonly publicKeyPem: string;
}

export interface MintOptions {
  /** Default: the key's algorithm. */
  alg?: string;
  /** Default: the key's ID; null leaves `kid` out of the header. */
  kid?: string | null;
  /** Default: the issuer's current signing key. */
  key?: OidcSigningKey;
}

export type Claims = Record<string, unknown>;

export interface TestOidcIssuer {
  /** The issuer URL; any path below it is an issuer too, with the same keys (for meta-issuers). */
  readonly url: string;
  /** The key `mint` signs with: the newest published one. */
  readonly signingKey: OidcSigningKey;
  /** Request paths served so far, in order. */
  readonly requests: string[];
  /**
   * A signed token: `iss` this issuer, `aud` "sigstore", `sub`, `iat` now and `exp` in 10
   * minutes, overridden by `claims`; a claim set to undefined is left out.
   */
  mint(claims?: Claims, options?: MintOptions): Promise<string>;
  /** An HS256 token, the signature an HMAC-SHA256 under `secret`. */
  mintHmac(claims: Claims, secret: string | Uint8Array, kid?: string): string;
  /** An unsecured JWT (`alg: none`, empty signature). */
  mintUnsigned(claims: Claims): string;
  /** A new key, not published. */
  createKey(alg?: string): Promise<OidcSigningKey>;
  /** Publishes a new key and signs with it from now on; earlier keys stay published. */
  rotate(alg?: string): Promise<OidcSigningKey>;
  /** Publishes `key` beside the others without signing with it. */
  publish(key: OidcSigningKey): void;
  /** Answers every request with this status and an empty body until set back to undefined. */
  failWith(status: number | undefined): void;
  stop(): Promise<void>;
}

const discoveryPath = "/.well-known/openid-configuration";
const jwksPath = "/jwks";

async function newKey(alg: string): Promise<OidcSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk, publicKeyPem: await exportSPKI(publicKey) };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function withDefaults(url: string, claims: Claims): Claims {
  const now = Math.floor(Date.now() / 1000);
  const merged: Claims = {
    iss: url,
    aud: "sigstore",
    sub: "test-subject",
    iat: now,
    exp: now + 600,
    ...claims,
  };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

export async function startOidcIssuer(options: { alg?: string } = {}): Promise<TestOidcIssuer> {
  const published: OidcSigningKey[] = [await newKey(options.alg ?? "RS256")];
  const requests: string[] = [];
  let failure: number | undefined;
  let url = "";

  const respond = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", url).pathname;
    requests.push(path);
    const send = (status: number, body?: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body === undefined ? "" : JSON.stringify(body));
    };
    if (failure !== undefined) return send(failure);
    if (path.endsWith(discoveryPath)) {
      const issuer = url + path.slice(0, -discoveryPath.length);
      return send(200, {
        issuer,
        jwks_uri: issuer + jwksPath,
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (path.endsWith(jwksPath)) return send(200, { keys: published.map((key) => key.publicJwk) });
    send(404, { error: "not found" });
  };

  const server = createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const issuer: TestOidcIssuer = {
    url,
    requests,
    get signingKey() {
      return published[published.length - 1] as OidcSigningKey;
    },
    async mint(claims = {}, mintOptions = {}) {
      const key = mintOptions.key ?? issuer.signingKey;
      const kid = mintOptions.kid === undefined ? key.kid : mintOptions.kid;
      const header = { alg: mintOptions.alg ?? key.alg, typ: "JWT", ...(kid === null ? {} : { kid }) };
      return new SignJWT(withDefaults(url, claims)).setProtectedHeader(header).sign(key.privateKey);
    },
    mintHmac(claims, secret, kid) {
      const signingInput = `${base64url({ alg: "HS256", typ: "JWT", kid })}.${base64url(withDefaults(url, claims))}`;
      const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
      return `${signingInput}.${signature}`;
    },
    mintUnsigned(claims) {
      return `${base64url({ alg: "none", typ: "JWT" })}.${base64url(withDefaults(url, claims))}.`;
    },
    createKey: (alg = "RS256") => newKey(alg),
    async rotate(alg = "RS256") {
      const key = await newKey(alg);
      published.push(key);
      return key;
    },
    publish(key) {
      published.splice(published.length - 1, 0, key);
    },
    failWith(status) {
      failure = status;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return issuer;
}
