import * as asn1js from "asn1js";
import { expect } from "vitest";
import { ApiError } from "../../../../services/common/errors.ts";

/** The DER UTF8String asn1js makes of `value`: an oracle independent of ours. */
export function utf8Der(value: string): Buffer {
  return Buffer.from(new asn1js.Utf8String({ value }).toBER());
}

export const fulcioOid = (arc: number): string => `1.3.6.1.4.1.57264.1.${arc}`;

/** The status and code of the ApiError `promise` rejects with. */
export async function refusalOf(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiError);
  const { status, code } = error as ApiError;
  return { status, code };
}
