/**
 * The few DER encodings (X.690 §8, §10) a certificate is made of, written straight to bytes:
 * every leaf is built per request, and an object model (pkijs/asn1js) costs more than the
 * signature. Also a minimal reader for the elements the CA takes apart (a key, a name).
 */

export const tag = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  /** [n] EXPLICIT / constructed context-specific. */
  explicit: (n: number) => 0xa0 | n,
  /** [n] IMPLICIT over a primitive type. */
  implicit: (n: number) => 0x80 | n,
} as const;

/** X.690 §8.1.3: short form below 128, else 0x80 | byte count and the big-endian length. */
function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

/**
 * One element: tag, length, and the concatenated contents, written into one buffer (a leaf is
 * a few hundred nested elements, built twice per request: precertificate and certificate).
 */
export function tlv(type: number, ...contents: Buffer[]): Buffer {
  let length = 0;
  for (const content of contents) length += content.length;
  const header = [type, ...lengthOctets(length)];
  const out = Buffer.allocUnsafe(header.length + length);
  out.set(header, 0);
  let at = header.length;
  for (const content of contents) {
    out.set(content, at);
    at += content.length;
  }
  return out;
}

export const sequence = (...elements: Buffer[]): Buffer => tlv(tag.sequence, ...elements);

export const octetString = (content: Buffer): Buffer => tlv(tag.octetString, content);

/** DER BOOLEAN TRUE is 0xFF (X.690 §11.1). */
export const booleanTrue = Buffer.of(tag.boolean, 0x01, 0xff);

export const utf8String = (value: string): Buffer => tlv(tag.utf8String, Buffer.from(value, "utf8"));

/** A BIT STRING whose first content octet counts the unused trailing bits (X.690 §8.6.2). */
export const bitString = (bits: Buffer, unusedBits = 0): Buffer =>
  tlv(tag.bitString, Buffer.of(unusedBits), bits);

const encodedOids = new Map<string, Buffer>();

/** X.690 §8.19: the first two arcs in one subidentifier, each in base-128 with continuation bits. */
export function objectIdentifier(dotted: string): Buffer {
  const known = encodedOids.get(dotted);
  if (known) return known;
  const arcs = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0) || first > 2) {
    throw new Error(`${dotted} is not an object identifier`);
  }
  const octets: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const group = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      group.unshift(0x80 | (value % 128));
    }
    octets.push(...group);
  }
  const encoded = tlv(tag.objectIdentifier, Buffer.from(octets));
  encodedOids.set(dotted, encoded);
  return encoded;
}

/** A non-negative INTEGER from big-endian magnitude bytes, DER-minimal (X.690 §8.3.2). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const padded = ((trimmed[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed;
  return tlv(tag.integer, padded.length === 0 ? Buffer.of(0) : padded);
}

/**
 * RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ)
 * after, both in whole seconds: a fraction is forbidden.
 */
export function validityTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ, always UTC
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050
    ? tlv(tag.utcTime, Buffer.from(digits.slice(2), "latin1"))
    : tlv(tag.generalizedTime, Buffer.from(digits, "latin1"));
}

/** Where one element sits in a buffer: its tag, where its content starts, and where it ends. */
export interface Element {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** Reads the element at `offset` (single-octet tags and definite lengths only, as DER has). */
export function readElement(der: Uint8Array, offset: number): Element {
  const type = der[offset];
  let length = der[offset + 1];
  if (type === undefined || length === undefined || (type & 0x1f) === 0x1f) {
    throw new Error("truncated or multi-octet-tag DER element");
  }
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[contentStart + i] ?? 0);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error("DER element runs past its buffer");
  return { tag: type, start: offset, contentStart, end };
}

/** The elements inside a constructed element, in order. */
export function childrenOf(der: Uint8Array, parent: Element): Element[] {
  const children: Element[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readElement(der, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}
