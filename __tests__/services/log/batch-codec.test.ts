import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "../../../services/log/storage/batch-codec.ts";
import type { AppendBatch } from "../../../services/log/storage/types.ts";

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const position = fc.nat({ max: Number.MAX_SAFE_INTEGER });

const batch: fc.Arbitrary<AppendBatch> = fc.record({
  expectedSize: position,
  leaves: fc.array(
    fc.record({
      index: position,
      leafHash: bytes(32),
      value: bytes(300),
      extra: fc.option(bytes(100), { nil: null }),
      integratedTime: position,
    }),
    { maxLength: 20 },
  ),
  nodes: fc.array(fc.record({ level: fc.nat({ max: 63 }), index: position, hash: bytes(32) }), {
    maxLength: 20,
  }),
  searchKeys: fc.array(fc.record({ key: fc.string({ unit: "grapheme" }), index: position }), {
    maxLength: 20,
  }),
  checkpoint: fc.record({
    size: position,
    rootHash: bytes(32),
    timestamp: position,
    signed: fc.string({ unit: "grapheme" }),
  }),
});

describe("the writer thread's batch encoding", () => {
  it("gives back every field of every batch, empty and null ones included", () => {
    fc.assert(
      fc.property(batch, (original) => {
        expect(decodeBatch(encodeBatch(original))).toEqual(original);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps an empty extra apart from a null one", () => {
    const leaf = { index: 0, leafHash: Buffer.alloc(32), value: Buffer.from("v"), integratedTime: 1 };
    const decoded = decodeBatch(
      encodeBatch({
        expectedSize: 0,
        leaves: [
          { ...leaf, extra: null },
          { ...leaf, index: 1, extra: Buffer.alloc(0) },
        ],
        nodes: [],
        searchKeys: [],
        checkpoint: { size: 2, rootHash: Buffer.alloc(32), timestamp: 1, signed: "note" },
      }),
    );
    expect(decoded.leaves.map((l) => l.extra)).toEqual([null, Buffer.alloc(0)]);
  });
});
