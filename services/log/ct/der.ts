/**
 * Just enough DER (X.690 §8, §10) to read a certificate's fields and splice one extension out of
 * its TBSCertificate while keeping every other byte as the CA signed it (RFC 6962 §3.2).
 */
export class DerFormatError extends Error {
  override readonly name = "DerFormatError";
}

/** One tag-length-value element: `der[start, end)`, its content from `contentStart`. */
export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export const tags = {
  boolean: 0x01,
  octetString: 0x04,
  objectIdentifier: 0x06,
  sequence: 0x30,
} as const;

export function readTlv(der: Buffer, start: number, limit = der.length): Tlv {
  const tag = byteAt(der, start, limit);
  if ((tag & 0x1f) === 0x1f) throw new DerFormatError("high tag numbers do not occur in certificates");
  const first = byteAt(der, start + 1, limit);
  let length = first;
  let contentStart = start + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerFormatError("indefinite or oversized length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byteAt(der, contentStart + i, limit);
    contentStart += count;
    if (length < 0x80 || (count > 1 && length < 256 ** (count - 1))) {
      throw new DerFormatError("length not in its shortest form");
    }
  }
  const end = contentStart + length;
  if (end > limit) throw new DerFormatError("element runs past its parent");
  return { tag, start, contentStart, end };
}

/** The elements inside a constructed element, in order; they must fill it exactly. */
export function childrenOf(der: Buffer, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerFormatError("primitive element has no children");
  const children: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(der, at, parent.end);
    children.push(child);
    at = child.end;
  }
  return children;
}

export function contentOf(der: Buffer, element: Tlv): Buffer {
  return der.subarray(element.contentStart, element.end);
}

export function bytesOf(der: Buffer, element: Tlv): Buffer {
  return der.subarray(element.start, element.end);
}

export function encodeTlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.of(tag, length), content]);
  const digits: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) digits.unshift(rest % 256);
  return Buffer.concat([Buffer.of(tag, 0x80 | digits.length, ...digits), content]);
}

/**
 * X.690 §8.19: the dotted form of an OBJECT IDENTIFIER's content octets. Each component in its
 * shortest form, as Go's x509 and OpenSSL require: one written with a leading 0x80 would otherwise
 * read as the same OID as its minimal spelling, which they do not recognize.
 */
export function decodeObjectIdentifier(content: Buffer): string {
  if (content.length === 0 || (content[content.length - 1] as number) & 0x80)
    throw new DerFormatError("truncated object identifier");
  // Built as it is read: every submission decodes a dozen of these.
  let dotted = "";
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i] as number;
    const startsComponent = i === 0 || !((content[i - 1] as number) & 0x80);
    if (byte === 0x80 && startsComponent)
      throw new DerFormatError("object identifier component not in its shortest form");
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (dotted === "") dotted = value < 80 ? `${Math.floor(value / 40)}.${value % 40}` : `2.${value - 80}`;
    else dotted += `.${value}`;
    value = 0;
  }
  return dotted;
}

function byteAt(der: Buffer, offset: number, limit: number): number {
  const byte = offset < limit ? der[offset] : undefined;
  if (byte === undefined) throw new DerFormatError("input ends early");
  return byte;
}
