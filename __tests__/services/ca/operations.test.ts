import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCaService } from "../../../services/ca/app.ts";
import { loadCaConfig } from "../../../services/ca/config.ts";
import { ConfigError } from "../../../services/common/config.ts";
import { createLogger } from "../../../services/common/logging.ts";
import { listenAndServe } from "../../../services/common/server.ts";
import { startOidcIssuer, type TestOidcIssuer } from "../../support/oidc.ts";
import { generateKey } from "../../support/pki.ts";
import { get, post, publicKeyRequest } from "./http.ts";

let oidc: TestOidcIssuer;
const alice = { sub: "alice-id", email: "alice@signet.test", email_verified: true };
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  oidc = await startOidcIssuer();
});

afterAll(() => oidc?.stop());

const issuersEnv = () => JSON.stringify([{ url: oidc.url, type: "email" }]);
const dataDir = () => mkdtempSync(join(tmpdir(), "signet-ca-ops-"));

describe("logs", () => {
  it("never contain a token, good or bad, at debug level", async () => {
    const lines: string[] = [];
    const logger = createLogger("signet-ca", "debug", { write: (line: string) => void lines.push(line) });
    const config = loadCaConfig({ SIGNET_CA_ISSUERS: issuersEnv(), SIGNET_CA_DATA_DIR: dataDir() });
    const service = await buildCaService(config, logger);
    const url = await listenAndServe(service.server, { host: "127.0.0.1", port: 0 });
    try {
      const key = generateKey();
      const good = await oidc.mint(alice);
      const [header, payload, signature] = good.split(".");
      const tokens = [
        good,
        await oidc.mint({ ...alice, exp: now() - 3600, iat: now() - 7200 }),
        await oidc.mint({ ...alice, aud: "elsewhere" }),
        await oidc.mint({ ...alice, iss: "https://accounts.example.com" }),
        `${header}.${Buffer.from(JSON.stringify({ ...alice, iss: oidc.url })).toString("base64url")}.${signature}`,
        oidc.mintHmac(alice, oidc.signingKey.publicKeyPem, oidc.signingKey.kid),
        `${header}.${payload}.c2VjcmV0LXNpZ25hdHVyZS1ieXRlcy10aGF0LW11c3Qtbm90LWxlYWs`,
      ];
      const statuses: number[] = [];
      for (const token of tokens) {
        const body = {
          credentials: { oidcIdentityToken: token },
          publicKeyRequest: publicKeyRequest(key, alice.email),
        };
        statuses.push((await post(`${url}/api/v2/signingCert`, body)).status);
        const legacy = { publicKey: { content: key.spki.toString("base64") }, signedEmailAddress: "AAAA" };
        statuses.push(
          (await post(`${url}/api/v1/signingCert`, legacy, { authorization: `Bearer ${token}` })).status,
        );
        // Bodies that fail to parse, so the parser's own error is what gets logged.
        statuses.push(
          (await post(`${url}/api/v2/signingCert`, `{"credentials":{"oidcIdentityToken":"${token}"`)).status,
        );
        statuses.push((await post(`${url}/api/v2/signingCert`, token)).status);
      }
      expect(statuses).toContain(201);
      expect(statuses.filter((status) => status >= 400).length).toBeGreaterThan(tokens.length * 3);
      expect(lines.length).toBeGreaterThan(tokens.length * 4);
      const log = lines.join("");
      for (const token of tokens) {
        expect(log).not.toContain(token);
        expect(log).not.toContain(token.split(".")[2]);
      }
    } finally {
      await service.close();
    }
  });
});

describe("configuration from the environment", () => {
  const refusal = (env: Record<string, string>): string => {
    try {
      loadCaConfig({ SIGNET_CA_DATA_DIR: dataDir(), ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("expected a ConfigError");
  };
  const issuer = { url: "https://issuer.signet.test", type: "email" };

  it.each<[string, Record<string, string>, RegExp]>([
    ["no issuers", {}, /^SIGNET_CA_ISSUERS: required but not set$/],
    ["issuers that are not JSON", { SIGNET_CA_ISSUERS: "[{url: x}]" }, /^SIGNET_CA_ISSUERS: not valid JSON/],
    ["an empty issuer list", { SIGNET_CA_ISSUERS: "[]" }, /^SIGNET_CA_ISSUERS: /],
    [
      "an issuer with both url and metaUrl",
      { SIGNET_CA_ISSUERS: JSON.stringify([{ ...issuer, metaUrl: "https://*.signet.test" }]) },
      /^SIGNET_CA_ISSUERS: .*exactly one of url and metaUrl/,
    ],
    [
      "an issuer of an unknown type",
      { SIGNET_CA_ISSUERS: JSON.stringify([{ ...issuer, type: "username" }]) },
      /^SIGNET_CA_ISSUERS: .*expected one of email, kubernetes/,
    ],
    [
      "a spiffe issuer whose trust domain is not one",
      { SIGNET_CA_ISSUERS: JSON.stringify([{ ...issuer, type: "spiffe", subjectDomain: "Signet.test/x" }]) },
      /^SIGNET_CA_ISSUERS: .*SPIFFE trust domain/,
    ],
    [
      "the same issuer twice",
      { SIGNET_CA_ISSUERS: JSON.stringify([issuer, issuer]) },
      /^SIGNET_CA_ISSUERS: .*configured twice/,
    ],
    [
      "a KMS signer without a key",
      { SIGNET_CA_ISSUERS: JSON.stringify([issuer]), SIGNET_CA_SIGNER: "kms" },
      /^SIGNET_CA_KEY: required when its signer is kms/,
    ],
    [
      "a CT log URL that is not a URL",
      { SIGNET_CA_ISSUERS: JSON.stringify([issuer]), SIGNET_CA_CT_URL: "ct-log:6962" },
      /^SIGNET_CA_CT_URL: expected a URL/,
    ],
    [
      "a negative rate limit",
      { SIGNET_CA_ISSUERS: JSON.stringify([issuer]), SIGNET_CA_RATE_PER_IP: "-1" },
      /^SIGNET_CA_RATE_PER_IP: must be at least 0/,
    ],
  ])("%s stops the start with one line naming the variable", (_case, env, message) => {
    const text = refusal(env);
    expect(text).toMatch(message);
    expect(text).not.toContain("\n");
  });
});

const mainPath = resolve(import.meta.dirname, "../../../services/ca/main.ts");

/** `node services/ca/main.ts` with `env` as its whole environment. */
function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, [mainPath], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: Array<Record<string, any>> = [];
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const listening = new Promise<string>((resolvePromise, reject) => {
    createInterface({ input: child.stdout }).on("line", (text) => {
      const line = JSON.parse(text);
      stdout.push(line);
      if (line.message === "listening") resolvePromise(line.url);
    });
    child.on("exit", () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolvePromise) =>
    child.on("exit", (code) => resolvePromise(code)),
  );
  return { child, stdout, stderr: () => stderr, listening, exited };
}

describe("node services/ca/main.ts", () => {
  it("starts from the environment alone, answers /healthz, and exits 0 on SIGTERM", async () => {
    const main = startMain({
      SIGNET_CA_ISSUERS: issuersEnv(),
      SIGNET_CA_DATA_DIR: dataDir(),
      SIGNET_CA_HOST: "127.0.0.1",
      SIGNET_CA_PORT: "0",
    });
    const url = await main.listening;
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
    main.child.kill("SIGTERM");
    expect(await main.exited).toBe(0);
    expect(main.stdout.map((line) => line.message)).toEqual(expect.arrayContaining(["listening", "stopped"]));
  });

  it("stops with status 1 and one line on stderr when the environment is wrong", async () => {
    const main = startMain({ SIGNET_CA_DATA_DIR: dataDir(), SIGNET_CA_ISSUERS: "not json" });
    main.listening.catch(() => {});
    expect(await main.exited).toBe(1);
    expect(main.stderr()).toMatch(/^signet: SIGNET_CA_ISSUERS: not valid JSON, got "not json"\n$/);
  });
});
