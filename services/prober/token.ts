import { readFile } from "node:fs/promises";
import type { TokenSourceConfig } from "./config.ts";
import { ProbeError } from "./errors.ts";

/** An OIDC identity token with audience `sigstore`, fresh for each round. */
export interface TokenSource {
  identityToken(): Promise<string>;
}

export function tokenSourceFor(config: TokenSourceConfig, timeoutMs: number): TokenSource {
  switch (config.kind) {
    case "kubernetes":
      return { identityToken: () => projectedToken(config.path) };
    case "github":
      return { identityToken: () => actionsToken(config.requestUrl, config.requestToken, timeoutMs) };
    case "dev":
      return { identityToken: () => devToken(config, timeoutMs) };
  }
}

/** The kubelet rewrites a projected service-account token before it expires: read it every time. */
async function projectedToken(path: string): Promise<string> {
  const token = (await readFile(path, "utf8")).trim();
  if (token === "") throw new ProbeError("TOKEN_UNAVAILABLE", `token file ${path} is empty`);
  return token;
}

/** The Actions ID token (GitHub docs, "Configuring OpenID Connect in cloud providers"). */
async function actionsToken(requestUrl: string, requestToken: string, timeoutMs: number): Promise<string> {
  const url = new URL(requestUrl);
  url.searchParams.set("audience", "sigstore");
  const body = await tokenResponse(url, { headers: { authorization: `bearer ${requestToken}` } }, timeoutMs);
  return tokenField(body, "value");
}

/** The local dev issuer mints a token for whatever identity it is asked for. */
async function devToken(
  config: Extract<TokenSourceConfig, { kind: "dev" }>,
  timeoutMs: number,
): Promise<string> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: config.subject, email: config.email }),
  };
  return tokenField(await tokenResponse(new URL(`${config.issuerUrl}/token`), init, timeoutMs), "id_token");
}

async function tokenResponse(url: URL, init: RequestInit, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) {
    throw new ProbeError("TOKEN_UNAVAILABLE", `${url.origin}${url.pathname} answered ${response.status}`);
  }
  return response.json();
}

function tokenField(body: unknown, field: string): string {
  const token = (body as Record<string, unknown> | null)?.[field];
  if (typeof token !== "string" || token === "") {
    throw new ProbeError("TOKEN_UNAVAILABLE", `token response has no ${field}`);
  }
  return token;
}
