import * as http from "node:http";
import * as https from "node:https";
import { type SctJson, sctFromJson, sctListExtensionValue } from "../common/ct/sct.ts";
import { ApiError } from "../common/errors.ts";

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
  private readonly transport: typeof http | typeof https;
  // One submission per certificate: node:http over kept-alive connections costs the CA a
  // fraction of what fetch does (measured with `npm run bench:ca -- --profile`).
  private readonly agent: http.Agent;

  constructor(baseUrl: string, timeoutMs: number) {
    this.endpoint = new URL(`${baseUrl.replace(/\/$/, "")}/ct/v1/add-pre-chain`);
    this.timeoutMs = timeoutMs;
    this.transport = this.endpoint.protocol === "https:" ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true });
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
    this.agent.destroy();
  }

  /** One POST, answered in full within the timeout. */
  private post(body: string): Promise<CtAnswer> {
    return new Promise((resolve, reject) => {
      const request = this.transport.request(
        this.endpoint,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
        },
      );
      const timer = setTimeout(
        () => request.destroy(new Error(`no answer within the ${this.timeoutMs} ms timeout`)),
        this.timeoutMs,
      );
      request.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
  }
}

function outage(message: string): ApiError {
  return new ApiError(503, "CT_LOG_UNAVAILABLE", message);
}
