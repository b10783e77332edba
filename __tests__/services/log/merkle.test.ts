import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyRoot, leafHash, nodeHash } from "../../../services/common/merkle/hash.ts";
import {
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from "../../../services/common/merkle/verify.ts";
import { Frontier } from "../../../services/log/merkle/frontier.ts";
import { compactRange, consistencyPlan, inclusionPlan } from "../../../services/log/merkle/plan.ts";
import { consistencyProof, inclusionProof, rootOf } from "../../../services/log/merkle/proof.ts";
import type { NodeId, StoredNode } from "../../../services/log/storage/types.ts";

// Naive RFC 6962 §2.1 reference: MTH, PATH and PROOF written exactly as the RFC defines them.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return emptyRoot();
  if (hashes.length === 1) return hashes[0] as Buffer;
  const k = largestPowerOfTwoBelow(hashes.length);
  return nodeHash(mth(hashes.slice(0, k)), mth(hashes.slice(k)));
}
function refPath(m: number, hashes: Buffer[]): Buffer[] {
  if (hashes.length === 1) return [];
  const k = largestPowerOfTwoBelow(hashes.length);
  return m < k
    ? [...refPath(m, hashes.slice(0, k)), mth(hashes.slice(k))]
    : [...refPath(m - k, hashes.slice(k)), mth(hashes.slice(0, k))];
}
function refSubproof(m: number, hashes: Buffer[], b: boolean): Buffer[] {
  if (m === hashes.length) return b ? [] : [mth(hashes)];
  const k = largestPowerOfTwoBelow(hashes.length);
  return m <= k
    ? [...refSubproof(m, hashes.slice(0, k), b), mth(hashes.slice(k))]
    : [...refSubproof(m - k, hashes.slice(k), false), mth(hashes.slice(0, k))];
}
const refProof = (m: number, hashes: Buffer[]): Buffer[] => refSubproof(m, hashes, true);

const MAX = 300;
const LEAVES = Array.from({ length: MAX }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const prefix = (size: number) => LEAVES.slice(0, size);

/** Every complete subtree of the first `size` leaves, computed with the reference MTH. */
function completeNodes(size: number): Map<string, Buffer> {
  const nodes = new Map<string, Buffer>();
  for (let level = 0, width = 1; width <= size; level += 1, width *= 2) {
    for (let index = 0; (index + 1) * width <= size; index += 1) {
      nodes.set(`${level}/${index}`, mth(LEAVES.slice(index * width, (index + 1) * width)));
    }
  }
  return nodes;
}
const ALL_NODES = completeNodes(MAX);

/** A store holding the tree of `size` leaves; asking for anything else fails the test. */
function storeOf(size: number) {
  const reads: NodeId[][] = [];
  const read = async (ids: readonly NodeId[]) => {
    reads.push([...ids]);
    return ids.map(({ level, index }) => {
      const hash = ALL_NODES.get(`${level}/${index}`);
      if (hash === undefined || (index + 1) * 2 ** level > size) throw new Error(`no node ${level}/${index}`);
      return hash;
    });
  };
  return { read, reads };
}

const flip = (hash: Buffer, at: number): Buffer => {
  const copy = Buffer.from(hash);
  copy[at % copy.length] = (copy[at % copy.length] as number) ^ 0x01;
  return copy;
};
const hex = (hashes: Buffer[]) => hashes.map((h) => h.toString("hex"));

describe("hashing (RFC 6962 §2.1)", () => {
  it("hashes the empty tree, leaves and nodes with domain separation", () => {
    expect(emptyRoot().toString("hex")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(leafHash(Buffer.alloc(0)).toString("hex")).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
    const a = leafHash(Buffer.from("a"));
    expect(nodeHash(a, a).equals(leafHash(Buffer.concat([a, a])))).toBe(false);
  });

  it("matches the published roots of the certificate-transparency test tree for sizes 1..8", () => {
    const inputs = [
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
    ];
    const roots = [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    const frontier = Frontier.empty();
    inputs.forEach((input, i) => {
      frontier.append([leafHash(Buffer.from(input, "hex"))]);
      expect(frontier.root().toString("hex")).toBe(roots[i]);
    });
  });
});

describe("the 7-leaf tree of RFC 6962 §2.1.3", () => {
  // Node names as in the RFC's figures: a..f and d6 are leaves, g..l interior nodes.
  const [a, b, c, d, e, f, d6] = LEAVES.slice(0, 7) as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  const g = nodeHash(a, b);
  const h = nodeHash(c, d);
  const i = nodeHash(e, f);
  const j = d6;
  const k = nodeHash(g, h);
  const l = nodeHash(i, j);
  const root = nodeHash(k, l);
  const { read } = storeOf(7);

  it("has the hand-computed root for every size from 1 to 8", async () => {
    const eighth = LEAVES[7] as Buffer;
    const expected = [a, g, nodeHash(g, c), k, nodeHash(k, e), nodeHash(k, i), root];
    expected.push(nodeHash(k, nodeHash(i, nodeHash(d6, eighth))));
    for (const [n, hash] of expected.entries()) {
      expect(hex([await rootOf(storeOf(n + 1).read, n + 1)])).toEqual(hex([hash]));
    }
  });

  it("gives the RFC's audit paths for d0, d3, d4 and d6", async () => {
    expect(hex(await inclusionProof(read, 0, 7))).toEqual(hex([b, h, l]));
    expect(hex(await inclusionProof(read, 3, 7))).toEqual(hex([c, g, l]));
    expect(hex(await inclusionProof(read, 4, 7))).toEqual(hex([f, j, k]));
    expect(hex(await inclusionProof(read, 6, 7))).toEqual(hex([i, k]));
    expect(verifyInclusion(6, 7, d6, [i, k], root)).toBe(true);
  });

  it("gives the RFC's consistency proofs from sizes 3, 4 and 6", async () => {
    expect(hex(await consistencyProof(read, 3, 7))).toEqual(hex([c, d, g, l]));
    expect(hex(await consistencyProof(read, 4, 7))).toEqual(hex([l]));
    expect(hex(await consistencyProof(read, 6, 7))).toEqual(hex([i, j, k]));
    expect(await consistencyProof(read, 7, 7)).toEqual([]);
    expect(verifyConsistency(3, 7, [c, d, g, l], nodeHash(g, c), root)).toBe(true);
    expect(verifyConsistency(4, 7, [l], k, root)).toBe(true);
    expect(verifyConsistency(6, 7, [i, j, k], nodeHash(k, i), root)).toBe(true);
  });

  it("derives an incomplete subtree's hash from complete ones: PROOF(3, D[7]) reads l as i and j", () => {
    expect(consistencyPlan(3, 7)).toEqual([
      [{ level: 0, index: 2 }],
      [{ level: 0, index: 3 }],
      [{ level: 1, index: 0 }],
      [
        { level: 1, index: 2 },
        { level: 0, index: 6 },
      ],
    ]);
  });
});

const RUNS = { numRuns: 300 };
const sizeAndIndex = fc
  .integer({ min: 1, max: MAX })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const sizePair = fc
  .integer({ min: 1, max: MAX })
  .chain((second) => fc.tuple(fc.integer({ min: 1, max: second }), fc.constant(second)));

describe("inclusion proofs against the reference", () => {
  it("equal PATH(m, D[n]), come from one read of O(log n) nodes, and verify", async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, async ([size, index]) => {
        const { read, reads } = storeOf(size);
        const proof = await inclusionProof(read, index, size);
        expect(hex(proof)).toEqual(hex(refPath(index, prefix(size))));
        expect(reads).toHaveLength(1);
        expect(reads[0]?.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)) + 1);
        const root = mth(prefix(size));
        expect(verifyInclusion(index, size, LEAVES[index] as Buffer, proof, root)).toBe(true);
      }),
      RUNS,
    );
  });

  it("fail verification with a flipped byte, another index or another tree", async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, fc.nat(), async ([size, index], noise) => {
        const proof = await inclusionProof(storeOf(size).read, index, size);
        const root = mth(prefix(size));
        const leaf = LEAVES[index] as Buffer;
        if (proof.length > 0) {
          const at = noise % proof.length;
          const tampered = proof.map((hash, n) => (n === at ? flip(hash, noise) : hash));
          expect(verifyInclusion(index, size, leaf, tampered, root)).toBe(false);
        }
        expect(verifyInclusion(index, size, flip(leaf, noise), proof, root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, proof, flip(root, noise))).toBe(false);
        if (size > 1) {
          const other = (index + 1 + (noise % (size - 1))) % size;
          expect(verifyInclusion(other, size, leaf, proof, root)).toBe(false);
        }
        const otherSize = size === MAX ? size - 1 : size + 1 + (noise % (MAX - size));
        expect(verifyInclusion(index, otherSize, leaf, proof, mth(prefix(otherSize)))).toBe(false);
        expect(verifyInclusion(size, size, leaf, proof, root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, [...proof, root], root)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe("consistency proofs against the reference", () => {
  it("equal PROOF(m, D[n]), come from one read, and verify", async () => {
    await fc.assert(
      fc.asyncProperty(sizePair, async ([first, second]) => {
        const { read, reads } = storeOf(second);
        const proof = await consistencyProof(read, first, second);
        expect(hex(proof)).toEqual(hex(refProof(first, prefix(second))));
        expect(reads).toHaveLength(1);
        expect(verifyConsistency(first, second, proof, mth(prefix(first)), mth(prefix(second)))).toBe(true);
      }),
      RUNS,
    );
  });

  it("fail verification with a flipped byte, a wrong root or other sizes", async () => {
    await fc.assert(
      fc.asyncProperty(sizePair, fc.nat(), async ([first, second], noise) => {
        const proof = await consistencyProof(storeOf(second).read, first, second);
        const [root1, root2] = [mth(prefix(first)), mth(prefix(second))];
        if (proof.length > 0) {
          const at = noise % proof.length;
          const tampered = proof.map((hash, n) => (n === at ? flip(hash, noise) : hash));
          expect(verifyConsistency(first, second, tampered, root1, root2)).toBe(false);
        }
        expect(verifyConsistency(first, second, proof, flip(root1, noise), root2)).toBe(false);
        expect(verifyConsistency(first, second, proof, root1, flip(root2, noise))).toBe(false);
        const wrongFirst = first === 1 ? 2 : first - 1;
        if (wrongFirst < second) {
          expect(verifyConsistency(wrongFirst, second, proof, mth(prefix(wrongFirst)), root2)).toBe(false);
        }
        const wrongSecond = second === MAX ? second - 1 : second + 1 + (noise % (MAX - second));
        if (first <= wrongSecond) {
          expect(verifyConsistency(first, wrongSecond, proof, root1, mth(prefix(wrongSecond)))).toBe(false);
        }
        expect(verifyConsistency(second, first, proof, root2, root1)).toBe(
          first === second && proof.length === 0,
        );
      }),
      RUNS,
    );
  });

  it("accept only the empty proof between equal sizes and from the empty tree", () => {
    const root = mth(prefix(5));
    expect(verifyConsistency(5, 5, [], root, root)).toBe(true);
    expect(verifyConsistency(5, 5, [root], root, root)).toBe(false);
    expect(verifyConsistency(0, 5, [], emptyRoot(), root)).toBe(true);
    expect(verifyConsistency(0, 5, [], root, root)).toBe(false);
    expect(verifyConsistency(3, 5, [], mth(prefix(3)), root)).toBe(false);
  });
});

describe("compact ranges", () => {
  it("cover [0, size) left to right with strictly shrinking complete subtrees", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (size) => {
        let next = 0;
        let previousLevel = Number.POSITIVE_INFINITY;
        for (const { level, index } of compactRange(size)) {
          expect(index * 2 ** level).toBe(next);
          expect(level).toBeLessThan(previousLevel);
          next += 2 ** level;
          previousLevel = level;
        }
        expect(next).toBe(size);
      }),
    );
  });
});

describe("Frontier", () => {
  const batchSplits = fc
    .integer({ min: 0, max: MAX })
    .chain((size) =>
      fc.tuple(fc.constant(size), fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, size - 1) }))),
    );

  it("appends in any batch split to the reference roots, emitting each complete node exactly once", () => {
    fc.assert(
      fc.property(batchSplits, ([size, cuts]) => {
        const bounds = [0, ...cuts.filter((cut) => cut < size).sort((x, y) => x - y), size];
        const frontier = Frontier.empty();
        const emitted: StoredNode[] = [];
        for (let n = 1; n < bounds.length; n += 1) {
          const [from, to] = [bounds[n - 1] as number, bounds[n] as number];
          const { nodes, root } = frontier.append(LEAVES.slice(from, to));
          emitted.push(...nodes);
          expect(root.equals(mth(prefix(to)))).toBe(true);
          expect(frontier.size).toBe(to);
        }
        const expected = [...ALL_NODES.keys()].filter((key) => {
          const [level, index] = key.split("/").map(Number) as [number, number];
          return level >= 1 && (index + 1) * 2 ** level <= size;
        });
        expect(emitted.map(({ level, index }) => `${level}/${index}`).sort()).toEqual(expected.sort());
        for (const { level, index, hash } of emitted) {
          expect(ALL_NODES.get(`${level}/${index}`)?.equals(hash)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("loads from stored nodes and continues as if it had never stopped", async () => {
    await fc.assert(
      fc.asyncProperty(sizePair, async ([first, second]) => {
        const { read, reads } = storeOf(first);
        const frontier = await Frontier.load(read, first);
        expect(reads.flat().length).toBeLessThanOrEqual(Math.log2(first) + 1);
        expect(frontier.root().equals(mth(prefix(first)))).toBe(true);
        const copy = frontier.clone();
        expect(frontier.append(LEAVES.slice(first, second)).root.equals(mth(prefix(second)))).toBe(true);
        expect(copy.size).toBe(first);
        expect(copy.root().equals(mth(prefix(first)))).toBe(true);
      }),
      RUNS,
    );
  });

  it("has the empty root when empty", async () => {
    expect(Frontier.empty().root().equals(emptyRoot())).toBe(true);
    expect((await Frontier.load(storeOf(0).read, 0)).root().equals(emptyRoot())).toBe(true);
    expect((await rootOf(storeOf(0).read, 0)).equals(emptyRoot())).toBe(true);
  });
});

describe("bad arguments", () => {
  const { read } = storeOf(10);

  it("are RangeErrors for proofs the tree cannot have", async () => {
    await expect(inclusionProof(read, 10, 10)).rejects.toThrow(RangeError);
    await expect(inclusionProof(read, -1, 10)).rejects.toThrow(RangeError);
    await expect(inclusionProof(read, 1.5, 10)).rejects.toThrow(RangeError);
    await expect(inclusionProof(read, 0, 0)).rejects.toThrow(RangeError);
    await expect(consistencyProof(read, 0, 10)).rejects.toThrow(RangeError);
    await expect(consistencyProof(read, 6, 5)).rejects.toThrow(RangeError);
    await expect(consistencyProof(read, 1, Number.NaN)).rejects.toThrow(RangeError);
    expect(() => inclusionPlan(2 ** 53, 2 ** 53 + 2)).toThrow(RangeError);
  });

  it("never make verification throw", () => {
    const root = mth(prefix(4));
    const leaf = LEAVES[0] as Buffer;
    expect(rootFromInclusionProof(0, 4, leaf, [Buffer.alloc(3)])).toBeUndefined();
    expect(rootFromInclusionProof(-1, 4, leaf, [])).toBeUndefined();
    expect(rootFromInclusionProof(0, Number.NaN, leaf, [])).toBeUndefined();
    expect(verifyInclusion(0, 1, leaf, [], Buffer.alloc(0))).toBe(false);
    expect(verifyInclusion(0, 1, leaf, [], leaf)).toBe(true);
    expect(verifyConsistency(2, 4, [Buffer.alloc(31)], root, root)).toBe(false);
    expect(verifyConsistency(-1, 4, [], root, root)).toBe(false);
    expect(verifyConsistency(1.5, 4, [], root, root)).toBe(false);
  });
});
