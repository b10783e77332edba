export type ProbeErrorCode =
  | "TOKEN_UNAVAILABLE"
  | "NO_TRUSTED_ROOT"
  | "BAD_RESPONSE"
  | "PROOF_UNAVAILABLE"
  | "NO_LOG_KEY"
  | "CHECKPOINT_SIGNATURE"
  | "SPLIT_VIEW";

/** Why a probe failed, as one stable code (matched by tests and alerts) and a readable message. */
export class ProbeError extends Error {
  override readonly name = "ProbeError";
  readonly code: ProbeErrorCode;

  constructor(code: ProbeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * One line for a report. Node's network errors keep the useful part in `cause` (ECONNREFUSED);
 * sigstore-js and ProbeError carry a stable code.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const coded = typeof code === "string" && !error.message.includes(code) ? `${code}: ` : "";
  const cause = error.cause instanceof Error ? `: ${describeError(error.cause)}` : "";
  return `${coded}${error.message}${cause}`;
}
