/**
 * TLS presentation-language encoding (RFC 5246 §4), the wire form of every RFC 6962 structure:
 * big-endian unsigned integers and variable-length vectors prefixed by their byte length.
 */
export type LengthWidth = 1 | 2 | 3;

export class TlsFormatError extends Error {
  override readonly name = "TlsFormatError";
}

export function uint(value: number, width: 1 | 2 | 3 | 8): Buffer {
  if (!Number.isSafeInteger(value) || value < 0 || (width < 8 && value >= 2 ** (8 * width))) {
    throw new TlsFormatError(`${value} does not fit in uint${8 * width}`);
  }
  // Every byte is written below, so the buffer may come from node's pool: a zero-filled
  // Buffer.alloc is an ArrayBuffer of its own, and RFC 6962 structures hold many integers.
  const out = Buffer.allocUnsafe(width);
  if (width === 8) out.writeBigUInt64BE(BigInt(value));
  else out.writeUIntBE(value, 0, width);
  return out;
}

/** `opaque body<min..2^(8*width)-1>`: the length in `width` bytes, then the bytes. */
export function vector(body: Buffer, width: LengthWidth, min = 0): Buffer {
  if (body.length < min) throw new TlsFormatError(`vector shorter than its minimum ${min}`);
  return Buffer.concat([uint(body.length, width), body]);
}

/** Reads fields in order and insists the input is consumed exactly. */
export class TlsReader {
  private offset = 0;
  private readonly input: Buffer;

  constructor(input: Buffer) {
    this.input = input;
  }

  uint(width: 1 | 2 | 3 | 8): number {
    const bytes = this.bytes(width);
    if (width < 8) return bytes.readUIntBE(0, width);
    const value = bytes.readBigUInt64BE();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TlsFormatError("uint64 beyond 2^53");
    return Number(value);
  }

  bytes(length: number): Buffer {
    if (this.offset + length > this.input.length) throw new TlsFormatError("input ends early");
    const out = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  vector(width: LengthWidth): Buffer {
    return this.bytes(this.uint(width));
  }

  get done(): boolean {
    return this.offset === this.input.length;
  }

  end(): void {
    if (!this.done) throw new TlsFormatError(`${this.input.length - this.offset} trailing bytes`);
  }
}
