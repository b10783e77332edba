/** PEM the way Go's encoding/pem writes it (64-column lines, trailing newline), as Rekor and Fulcio serve it. */
export function encodePem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
