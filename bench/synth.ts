// Synth benchmark: runs `node stacks/main.ts` several times and reports wall time and peak RSS
// (from GNU time). Usage: node bench/synth.ts [runs]. Results go into BENCHMARKS.md by hand,
// with the machine they ran on.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { machineLine } from "./machine.ts";

const runs = Number(process.argv[2] ?? 5);
console.log(machineLine("synth alone"));
const root = resolve(import.meta.dirname, "..");
const samples: Array<{ seconds: number; rssMb: number }> = [];

for (let i = 0; i < runs; i++) {
  const run = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, "stacks/main.ts"], {
    cwd: root,
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(run.stderr);
    process.exit(1);
  }
  const [seconds, kb] = run.stderr.trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
  samples.push({ seconds: seconds ?? Number.NaN, rssMb: (kb ?? Number.NaN) / 1024 });
}

const walls = samples.map((s) => s.seconds).sort((a, b) => a - b);
const median = walls[Math.floor(walls.length / 2)];
console.log(
  `synth of all stacks, ${runs} runs: median ${median?.toFixed(2)} s, max ${walls.at(-1)?.toFixed(2)} s wall`,
);
console.log(`peak RSS: max ${Math.max(...samples.map((s) => s.rssMb)).toFixed(0)} MB`);
