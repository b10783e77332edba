import { z } from "zod";

interface Range {
  first: number;
  last: number;
}

function parse(text: string): Range | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (address % size !== 0) return undefined;
  return { first: address, last: address + size - 1 };
}

/** An IPv4 range in CIDR notation whose address is the network address (no host bits set). */
export const cidr = z
  .string()
  .refine((text) => parse(text) !== undefined, "invalid CIDR (e.g. 10.0.0.0/20, no host bits)");

/** Pairs of names, in declaration order, whose ranges overlap. */
export function overlappingCidrs(ranges: Record<string, string>): Array<[string, string]> {
  const parsed = Object.entries(ranges).flatMap(([name, text]) => {
    const range = parse(text);
    return range ? [{ name, range }] : [];
  });
  const pairs: Array<[string, string]> = [];
  parsed.forEach((a, i) => {
    for (const b of parsed.slice(i + 1)) {
      if (a.range.first <= b.range.last && b.range.first <= a.range.last) pairs.push([a.name, b.name]);
    }
  });
  return pairs;
}
