import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ProbeError } from "../../../services/prober/errors.ts";
import { tokenSourceFor } from "../../../services/prober/token.ts";

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

let server: Server | undefined;

/** An HTTP endpoint answering `status` with `answer`, recording what it was asked. */
async function endpoint(status: number, answer: unknown): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      seen.push({
        method: request.method ?? "",
        url: request.url ?? "",
        authorization: request.headers.authorization,
        body,
      });
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

describe("token sources", () => {
  it("kubernetes: reads the projected token file every time, since the kubelet rotates it", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "signet-token-")), "sigstore");
    const source = tokenSourceFor({ kind: "kubernetes", path }, 1000);
    writeFileSync(path, "first.token.value\n");
    expect(await source.identityToken()).toBe("first.token.value");
    writeFileSync(path, "second.token.value");
    expect(await source.identityToken()).toBe("second.token.value");
    writeFileSync(path, "");
    await expect(source.identityToken()).rejects.toMatchObject({ code: "TOKEN_UNAVAILABLE" });
  });

  it("github: asks the Actions token service for audience sigstore with the request token", async () => {
    const { url, seen } = await endpoint(200, { value: "actions.id.token" });
    const source = tokenSourceFor(
      { kind: "github", requestUrl: `${url}/token?api-version=2.0`, requestToken: "request-secret" },
      1000,
    );
    expect(await source.identityToken()).toBe("actions.id.token");
    expect(seen[0]).toMatchObject({ method: "GET", authorization: "bearer request-secret" });
    const asked = new URL(seen[0]?.url ?? "", url);
    expect(asked.searchParams.get("audience")).toBe("sigstore");
    expect(asked.searchParams.get("api-version")).toBe("2.0");
  });

  it("dev: posts the identity it wants to <oidc>/token", async () => {
    const { url, seen } = await endpoint(200, { id_token: "dev.id.token" });
    const source = tokenSourceFor(
      { kind: "dev", issuerUrl: url, subject: "prober", email: "p@x.test" },
      1000,
    );
    expect(await source.identityToken()).toBe("dev.id.token");
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.url).toBe("/token");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ sub: "prober", email: "p@x.test" });
  });

  it.each([
    [503, { message: "down" }, /answered 503/],
    [200, { token: "wrong field" }, /no id_token/],
  ])("fails with TOKEN_UNAVAILABLE when the issuer answers %i %o", async (status, answer, message) => {
    const { url } = await endpoint(status, answer);
    const source = tokenSourceFor({ kind: "dev", issuerUrl: url, subject: "s", email: "e@x.test" }, 1000);
    const failure = await source.identityToken().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProbeError);
    expect((failure as ProbeError).code).toBe("TOKEN_UNAVAILABLE");
    expect((failure as Error).message).toMatch(message);
  });
});
