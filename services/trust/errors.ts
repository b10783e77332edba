/** Why a trust operation was refused; callers and tests match on the code. */
export type TrustErrorCode =
  | "TRUSTED_ROOT_KEY_UNSUPPORTED"
  | "TRUSTED_ROOT_ROTATION_INVALID"
  | "TUF_REPOSITORY_MISSING"
  | "TUF_REPOSITORY_EXISTS"
  | "TUF_METADATA_INVALID"
  | "TUF_KEY_UNSUPPORTED"
  | "TUF_THRESHOLD_NOT_MET";

export class TrustError extends Error {
  override readonly name = "TrustError";
  readonly code: TrustErrorCode;

  constructor(code: TrustErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
