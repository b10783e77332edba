import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SerializedBundle } from "@sigstore/bundle";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { describe, expect, it, vi } from "vitest";
import {
  type Attest,
  cosignSignPredicateType,
  identityToken,
  imageStatement,
  inTotoPayloadType,
  parseImageReference,
  parseInvocation,
  SignError,
  signImage,
  signingEndpoints,
  tokenRequest,
} from "../../images/sign.ts";
import { startLocalInstance } from "../../services/local/instance.ts";
import { staging } from "../infra/support.ts";
import { repoRoot } from "./dockerfile.ts";

const digest = "3f".repeat(32);
const caImage = `europe-west1-docker.pkg.dev/signet-staging/signet/ca@sha256:${digest}`;

describe("an image reference", () => {
  it("names a repository and a manifest digest", () => {
    expect(parseImageReference(caImage)).toEqual({
      repository: "europe-west1-docker.pkg.dev/signet-staging/signet/ca",
      name: "ca",
      sha256: digest,
    });
    // A tag beside the digest is informational: the digest is what is signed.
    expect(parseImageReference(`europe-west1-docker.pkg.dev/p/signet/log:v1@sha256:${digest}`).name).toBe(
      "log",
    );
  });

  it("is refused when a tag alone names it, or its digest is malformed", () => {
    for (const bad of [
      "europe-west1-docker.pkg.dev/signet-staging/signet/ca:latest",
      `europe-west1-docker.pkg.dev/signet-staging/signet/ca@sha256:${digest.slice(1)}`,
      `europe-west1-docker.pkg.dev/signet-staging/signet/ca@sha512:${digest}${digest}`,
      `ca@sha256:${digest}`,
    ]) {
      expect(() => parseImageReference(bad), bad).toThrow(SignError);
    }
  });
});

describe("the signed statement", () => {
  it("is what cosign signs for an image: its digest as subject, cosign's signing predicate", () => {
    const statement = imageStatement(parseImageReference(caImage));
    expect(statement).toEqual({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "europe-west1-docker.pkg.dev/signet-staging/signet/ca", digest: { sha256: digest } }],
      predicateType: "https://sigstore.dev/cosign/sign/v1",
      predicate: {},
    });
    expect(cosignSignPredicateType).toBe(statement.predicateType);
  });
});

describe("signing endpoints", () => {
  it("are the staging instance's CA, log and TSA", () => {
    expect(signingEndpoints(staging)).toEqual({
      fulcioURL: "https://ca.staging.signet.example.com",
      rekorURL: "https://rekor.staging.signet.example.com",
      tsaServerURL: "https://tsa.staging.signet.example.com",
    });
  });
});

describe("the identity token", () => {
  const actions = {
    ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.example/token?api-version=2.0",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-bearer",
  };

  it("is asked of GitHub Actions with audience sigstore", () => {
    const request = tokenRequest(actions);
    expect(request.kind).toBe("github");
    if (request.kind !== "github") return;
    expect(request.url.searchParams.get("audience")).toBe("sigstore");
    expect(request.url.searchParams.get("api-version")).toBe("2.0");
    expect(request.bearer).toBe("request-bearer");
  });

  it("is SIGSTORE_ID_TOKEN when that is set", () => {
    expect(tokenRequest({ ...actions, SIGSTORE_ID_TOKEN: "eyJ.explicit" })).toEqual({
      kind: "explicit",
      token: "eyJ.explicit",
    });
  });

  it("is refused up front, naming the missing permission, when the job cannot get one", () => {
    expect(() => tokenRequest({})).toThrow(/ACTIONS_ID_TOKEN_REQUEST_URL.*id-token: write/);
    expect(() =>
      tokenRequest({ ACTIONS_ID_TOKEN_REQUEST_URL: actions.ACTIONS_ID_TOKEN_REQUEST_URL }),
    ).toThrow(SignError);
    expect(() => tokenRequest({ ...actions, ACTIONS_ID_TOKEN_REQUEST_URL: "not a url" })).toThrow(
      /^ACTIONS_ID_TOKEN_REQUEST_URL: /,
    );
  });

  it("is read from GitHub's answer, with the request bearer", async () => {
    const fetchImpl = vi.fn(async () => Response.json({ value: "eyJ.actions" }));
    await expect(identityToken(tokenRequest(actions), fetchImpl)).resolves.toBe("eyJ.actions");
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [URL, RequestInit];
    expect(url.searchParams.get("audience")).toBe("sigstore");
    expect(init.headers).toEqual({ authorization: "bearer request-bearer" });
    const refused = async () => new Response("no", { status: 403 });
    await expect(identityToken(tokenRequest(actions), refused)).rejects.toThrow(/answered 403/);
    const empty = async () => Response.json({});
    await expect(identityToken(tokenRequest(actions), empty)).rejects.toThrow(/no value/);
  });
});

describe("the command line", () => {
  it("takes the instance, the output directory and images by digest", () => {
    const invocation = parseInvocation(["--environment", "staging", "--out", "bundles", caImage]);
    expect(invocation).toMatchObject({ environment: "staging", out: "bundles" });
    expect(invocation.images.map((i) => i.name)).toEqual(["ca"]);
  });

  it("refuses a missing flag, no image, an unknown option or one image twice", () => {
    expect(() => parseInvocation(["--out", "b", caImage])).toThrow(/--environment: required/);
    expect(() => parseInvocation(["--environment", "staging", caImage])).toThrow(/--out: required/);
    expect(() => parseInvocation(["--environment", "staging", "--out", "b"])).toThrow(/no image given/);
    expect(() => parseInvocation(["--environment", "staging", "--out", "b", "--key", "k", caImage])).toThrow(
      SignError,
    );
    expect(() => parseInvocation(["--environment", "staging", "--out", "b", caImage, caImage])).toThrow(
      /ca: named twice/,
    );
  });

  it("fails with one line and no stack trace when the job has no token", () => {
    const result = spawnSync(
      process.execPath,
      ["images/sign.ts", "--environment", "staging", "--out", mkdtempSync(join(tmpdir(), "sign-")), caImage],
      { cwd: repoRoot, encoding: "utf8", env: { PATH: process.env.PATH } },
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^images\/sign\.ts: ACTIONS_ID_TOKEN_REQUEST_URL: not set/),
    ]);
  });

  it("names the configuration file when the environment does not exist", () => {
    const result = spawnSync(
      process.execPath,
      ["images/sign.ts", "--environment", "nowhere", "--out", "b", caImage],
      { cwd: repoRoot, encoding: "utf8", env: { PATH: process.env.PATH, SIGSTORE_ID_TOKEN: "t" } },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/nowhere\.yaml: file not found/);
  });
});

describe("signImage", () => {
  it("attests the statement in DSSE with the endpoints and a token asked for per image", async () => {
    const attest = vi.fn(async () => ({}) as SerializedBundle);
    const token = vi.fn(async () => "eyJ.token");
    await signImage(
      parseImageReference(caImage),
      signingEndpoints(staging),
      token,
      attest as unknown as Attest,
    );
    const [payload, payloadType, options] = attest.mock.calls[0] as unknown as Parameters<Attest>;
    expect(payloadType).toBe(inTotoPayloadType);
    expect(JSON.parse(payload.toString())).toEqual(imageStatement(parseImageReference(caImage)));
    expect(options).toMatchObject(signingEndpoints(staging));
    await expect(options?.identityProvider?.getToken()).resolves.toBe("eyJ.token");
  });

  it("produces a bundle the instance's trusted root verifies, over the image's statement", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "signet-sign-"));
    const local = await startLocalInstance({
      dataDir,
      basePort: 0,
      logger: false,
      proberIntervalSeconds: 3600,
    });
    try {
      const token = async () => {
        const response = await fetch(`${local.endpoints.oidc}/token`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ sub: "release", email: "release@example.com" }),
        });
        return ((await response.json()) as { id_token: string }).id_token;
      };
      const endpoints = {
        fulcioURL: local.endpoints.ca,
        rekorURL: local.endpoints.rekor,
        tsaServerURL: local.endpoints.tsa,
      };
      const image = parseImageReference(caImage);
      const bundle = bundleFromJSON(await signImage(image, endpoints, token));

      const trustedRoot = TrustedRoot.fromJSON(JSON.parse(readFileSync(local.trustedRootPath, "utf8")));
      const verifier = new Verifier(toTrustMaterial(trustedRoot), {
        tlogThreshold: 1,
        ctlogThreshold: 1,
        timestampThreshold: 1,
      });
      const policy = {
        subjectAlternativeName: "release@example.com",
        extensions: { issuer: local.endpoints.oidc },
      };
      expect(() => verifier.verify(toSignedEntity(bundle), policy)).not.toThrow();
      // What cosign checks after the signature: the statement's subject is the image it resolved.
      expect(bundle.content.$case).toBe("dsseEnvelope");
      if (bundle.content.$case !== "dsseEnvelope") return;
      expect(bundle.content.dsseEnvelope.payloadType).toBe(inTotoPayloadType);
      const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString());
      expect(statement.subject[0].digest).toEqual({ sha256: digest });
      expect(statement.predicateType).toBe(cosignSignPredicateType);
    } finally {
      await local.close();
    }
  }, 60_000);
});
