/**
 * The one error type every HTTP error leaves through. `code` is UPPER_SNAKE and stable, so clients
 * and tests match on it; `message` is for people and never carries a stack or internal detail.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ErrorBody {
  code: string;
  message: string;
}

export function badRequest(code: string, message: string): ApiError {
  return new ApiError(400, code, message);
}

export function notFound(code: string, message: string): ApiError {
  return new ApiError(404, code, message);
}

export function conflict(code: string, message: string): ApiError {
  return new ApiError(409, code, message);
}

export function unavailable(code: string, message: string): ApiError {
  return new ApiError(503, code, message);
}

/** The JSON body of an error response: `{code, message}` and nothing else. */
export function toErrorBody(error: ApiError): ErrorBody {
  return { code: error.code, message: error.message };
}

/**
 * How a service spells an error body.
 * - `signet`: `{code, message}` with the UPPER_SNAKE code.
 * - `rekor`: Rekor's `Error` (openapi.yaml): `code` is the HTTP status as an integer, and our
 *   code goes in `reason`. Go clients generated from that spec (cosign, sigstore-go) decode every
 *   error body into it; a string `code` fails that decoding, and with it a 409's fall-back to the
 *   existing entry.
 */
export type ErrorStyle = "signet" | "rekor";

export function styledErrorBody(style: ErrorStyle, status: number, body: ErrorBody): object {
  return style === "rekor" ? { code: status, message: body.message, reason: body.code } : body;
}
