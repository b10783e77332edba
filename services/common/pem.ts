import { X509Certificate } from "node:crypto";

/** PEM the way Go's encoding/pem writes it (64-column lines, trailing newline), as Rekor and Fulcio serve it. */
export function encodePem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * The DER of every CERTIFICATE block in `pem`, in order; each must parse as X.509, so a damaged
 * file fails where it is read rather than at clients. Errors name `where` (a file or variable)
 * and are built by `fail`, so configuration readers can raise their own one-line error type.
 */
export function certificatesFromPem(
  pem: string,
  where: string,
  fail: (message: string) => Error = (message) => new Error(message),
): Buffer[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw fail(`${where}: no PEM certificate found`);
  return blocks.map((block, position) => {
    const der = Buffer.from((block[1] ?? "").replace(/\s/g, ""), "base64");
    try {
      new X509Certificate(der);
    } catch {
      throw fail(`${where}: PEM block ${position + 1} is not an X.509 certificate`);
    }
    return der;
  });
}
