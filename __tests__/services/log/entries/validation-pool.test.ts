import { createHash, sign } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../../../services/common/errors.ts";
import { validateProposedEntry, validateProposedEntryAsync } from "../../../../services/log/entries/index.ts";
import { createCa, issueLeaf, type TestCertificate } from "../../../support/pki.ts";

let certificate: TestCertificate;

beforeAll(async () => {
  certificate = await issueLeaf(await createCa(), { email: "pool@example.com" });
});

/** A hashedrekord as sigstore-js sends it: a certificate and a signature over the artifact. */
function signed(artifact: string, signature?: Buffer) {
  const bytes = Buffer.from(artifact);
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: createHash("sha256").update(bytes).digest("hex") } },
      signature: {
        content: (signature ?? sign("sha256", bytes, certificate.key.privateKey)).toString("base64"),
        publicKey: { content: Buffer.from(certificate.pem).toString("base64") },
      },
    },
  };
}

function refusalOf(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
  }
  throw new Error("expected an ApiError");
}

describe("validateProposedEntryAsync (worker threads)", () => {
  it("gives what validateProposedEntry gives, canonical body as a Buffer", async () => {
    const proposals = Array.from({ length: 24 }, (_, i) => signed(`artifact ${i}`));
    const entries = await Promise.all(proposals.map((p) => validateProposedEntryAsync(p)));
    entries.forEach((entry, i) => {
      expect(Buffer.isBuffer(entry.canonicalBody)).toBe(true);
      expect(entry).toEqual(validateProposedEntry(proposals[i]));
    });
  });

  it("refuses with the same status, code and message, entry by entry within one batch", async () => {
    const forged = signed("forged", sign("sha256", Buffer.from("other"), certificate.key.privateKey));
    const unknown = { kind: "rekord", apiVersion: "0.0.1", spec: {} };
    // Refusals on both sides of the worker's reply chunks (it answers a few proposals at a time).
    const proposals = [signed("a"), signed("b"), signed("c"), forged, unknown, signed("d"), forged];
    const outcomes = await Promise.allSettled(proposals.map((p) => validateProposedEntryAsync(p)));
    for (const i of [0, 1, 2, 5]) {
      const outcome = outcomes[i];
      if (outcome?.status !== "fulfilled") throw new Error(`expected proposal ${i} to be accepted`);
      expect(outcome.value).toEqual(validateProposedEntry(proposals[i]));
    }
    for (const i of [3, 4, 6]) {
      const proposal = proposals[i];
      const outcome = outcomes[i];
      if (outcome?.status !== "rejected") throw new Error("expected a refusal");
      const expected = refusalOf(() => validateProposedEntry(proposal));
      expect(outcome.reason).toBeInstanceOf(ApiError);
      expect(outcome.reason).toMatchObject({
        status: expected.status,
        code: expected.code,
        message: expected.message,
      });
    }
  });
});
