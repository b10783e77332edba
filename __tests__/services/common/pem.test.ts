import { describe, expect, it } from "vitest";
import { certificatesFromPem, encodePem } from "../../../services/common/pem.ts";
import { createCa } from "../../support/pki.ts";

class CustomError extends Error {}

describe("certificatesFromPem", () => {
  it("gives back the DER of every certificate block, in order, whatever surrounds them", async () => {
    const root = await createCa({ commonName: "pem root", organization: "signet test" });
    const other = await createCa({ commonName: "pem other", organization: "signet test" });
    const pem = `comment line\n${encodePem("CERTIFICATE", root.der)}\r\n${encodePem("PUBLIC KEY", Buffer.from("x"))}${encodePem("CERTIFICATE", other.der)}`;
    expect(certificatesFromPem(pem, "chain.pem")).toEqual([root.der, other.der]);
  });

  it("names the file and the block that is not a certificate, with the caller's error type", () => {
    const damaged = encodePem("CERTIFICATE", Buffer.from("not a certificate"));
    expect(() => certificatesFromPem(damaged, "chain.pem", (m) => new CustomError(m))).toThrow(
      new CustomError("chain.pem: PEM block 1 is not an X.509 certificate"),
    );
    expect(() => certificatesFromPem("", "SIGNET_CT_ROOTS")).toThrow(
      "SIGNET_CT_ROOTS: no PEM certificate found",
    );
  });
});
