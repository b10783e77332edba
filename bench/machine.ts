// The line every benchmark prints first: the machine, its load, and how fast it is right now.
// This VM runs the same code 15–30 % faster or slower from one hour to the next; a fixed
// workload timed just before the run says which phase a figure comes from.
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";

/** CPU µs of one node P-256/SHA-256 verify: the median of seven rounds of 200, after one unmeasured. */
export function verifyMicros(): number {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const message = Buffer.alloc(32, 1);
  const signature = sign("sha256", message, privateKey);
  for (let i = 0; i < 200; i++) verify("sha256", message, publicKey, signature);
  const rounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < 200; i++) verify("sha256", message, publicKey, signature);
    const { user, system } = process.cpuUsage(started);
    rounds.push((user + system) / 200);
  }
  return rounds.sort((a, b) => a - b)[3] as number;
}

export function machineLine(what: string): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return (
    `machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}; ` +
    `load average ${loadavg()[0]?.toFixed(2)} at start; P-256 verify ${verifyMicros().toFixed(1)} µs now; ${what}`
  );
}
