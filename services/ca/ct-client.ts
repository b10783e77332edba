import { Pool } from "undici";
import { type SctJson, sctFromJson, sctListExtensionValue } from "../common/ct/sct.ts";
import { ApiError } from "../common/errors.ts";

// Enough for a burst at the CA's rate limits; more submissions wait for a free connection.
const maxConnections = 128;

interface CtAnswer {
  status: number;
  body: string;
}

/**
 * Submits precertificates to the CT log (RFC 6962 §4.1 add-pre-chain) and returns the SCT list
 * extension value to embed. Any failure is the CA's problem, not the client's: 503, saying so.
 */
export class CtClient {
  private readonly endpoint: URL;
  private readonly timeoutMs: number;
  // One submission per certificate, over kept-alive connections: undici's request API costs the
  // CA about half the CPU of node:http's, which cost a fraction of fetch's (BENCHMARKS.md).
  private readonly pool: Pool;

  constructor(baseUrl: string, timeoutMs: number) {
    this.endpoint = new URL(`${baseUrl.replace(/\/$/, "")}/ct/v1/add-pre-chain`);
    this.timeoutMs = timeoutMs;
    this.pool = new Pool(this.endpoint.origin, {
      connections: maxConnections,
      connect: { timeout: timeoutMs },
    });
  }

  async sctExtension(precertChain: Buffer[]): Promise<Buffer> {
    let response: CtAnswer;
    try {
      response = await this.post(
        JSON.stringify({ chain: precertChain.map((der) => der.toString("base64")) }),
      );
    } catch (error) {
      throw outage(`the CT log at ${this.endpoint} is unreachable (${(error as Error).message})`);
    }
    if (response.status < 200 || response.status > 299) {
      throw outage(
        `the CT log refused the precertificate with ${response.status}: ${response.body.slice(0, 200)}`,
      );
    }
    try {
      return sctListExtensionValue([sctFromJson(JSON.parse(response.body) as SctJson)]);
    } catch (error) {
      throw outage(`the CT log answered with an unreadable SCT (${(error as Error).message})`);
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.pool.destroy().catch(() => {});
  }

  /**
   * One POST, answered in full within the timeout: one deadline covers the wait for a free
   * connection, connecting, the headers and the whole body.
   */
  private async post(body: string): Promise<CtAnswer> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await this.pool.request({
        path: this.endpoint.pathname,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: deadline,
      });
      return { status: response.statusCode, body: await response.body.text() };
    } catch (error) {
      if (deadline.aborted) throw new Error(`no answer within the ${this.timeoutMs} ms timeout`);
      throw error;
    }
  }
}

function outage(message: string): ApiError {
  return new ApiError(503, "CT_LOG_UNAVAILABLE", message);
}
