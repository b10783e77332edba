import { type SctJson, sctFromJson, sctListExtensionValue } from "../common/ct/sct.ts";
import { ApiError } from "../common/errors.ts";

/**
 * Submits precertificates to the CT log (RFC 6962 §4.1 add-pre-chain) and returns the SCT list
 * extension value to embed. Any failure is the CA's problem, not the client's: 503, saying so.
 */
export class CtClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, timeoutMs: number) {
    this.endpoint = `${baseUrl.replace(/\/$/, "")}/ct/v1/add-pre-chain`;
    this.timeoutMs = timeoutMs;
  }

  async sctExtension(precertChain: Buffer[]): Promise<Buffer> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chain: precertChain.map((der) => der.toString("base64")) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw outage(`the CT log at ${this.endpoint} is unreachable (${(error as Error).message})`);
    }
    if (!response.ok) {
      const detail = await response.text().catch(() => "");
      throw outage(`the CT log refused the precertificate with ${response.status}: ${detail.slice(0, 200)}`);
    }
    try {
      return sctListExtensionValue([sctFromJson((await response.json()) as SctJson)]);
    } catch (error) {
      throw outage(`the CT log answered with an unreadable SCT (${(error as Error).message})`);
    }
  }
}

function outage(message: string): ApiError {
  return new ApiError(503, "CT_LOG_UNAVAILABLE", message);
}
