import type { z } from "zod";
import { ApiError } from "../../common/errors.ts";

/** Why a proposed entry or a search query is refused; every code answers 400. */
export type RejectionCode =
  | "MALFORMED_ENTRY"
  | "MALFORMED_QUERY"
  | "UNSUPPORTED_KIND"
  | "UNSUPPORTED_VERSION"
  | "BAD_ENCODING"
  | "BAD_HASH"
  | "UNSUPPORTED_KEY"
  | "UNSUPPORTED_KEY_FORMAT"
  | "INVALID_SIGNATURE";

export function reject(code: RejectionCode, message: string): never {
  throw new ApiError(400, code, message);
}

/** Checks `value` against a shape, naming the first offending field under `where`. */
export function parseShape<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
  code: RejectionCode = "MALFORMED_ENTRY",
): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [where, ...(issue?.path ?? [])].join(".");
  return reject(code, `${path}: ${issue?.message ?? "invalid"}`);
}
