// A service under test as its container runs it: `node <entry>` in a child process, configured
// only through the environment, its JSON log written to a file, watched through /proc.
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { cpuSeconds as cpuSecondsOf, freePort, peakRss, stop } from "./proc.ts";

const root = resolve(import.meta.dirname, "..");

export interface ServiceProcess {
  url: string;
  pid: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  /** CPU time the process has used so far (user + system, all threads), in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface ServiceLaunch {
  /** Names the log file and error messages: "log", "ca". */
  name: string;
  /** The entry point, relative to the repository. */
  entry: string;
  /** node's own flags, as the image's ENTRYPOINT passes them. */
  nodeFlags: readonly string[];
  /** The whole environment apart from PATH; `port` is added under `portVariable`. */
  env: Record<string, string>;
  portVariable: string;
  /** Where `<name>.log` is written. */
  logDir: string;
  /** Writes a V8 CPU profile of the service into this directory when it exits. */
  profileDir?: string;
}

export async function startService(launch: ServiceLaunch): Promise<ServiceProcess> {
  const port = await freePort();
  const logPath = join(launch.logDir, `${launch.name}.log`);
  const output = openSync(logPath, "a");
  const profile = launch.profileDir ? ["--cpu-prof", "--cpu-prof-dir", launch.profileDir] : [];
  const child = spawn(process.execPath, [...launch.nodeFlags, ...profile, join(root, launch.entry)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...launch.env, [launch.portVariable]: String(port) },
    stdio: ["ignore", output, output],
  });
  // However this run ends, crash included, it leaves no service behind.
  const orphanGuard = () => child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  child.once("exit", () => process.off("exit", orphanGuard));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, launch.name, logPath);
  const pid = child.pid as number;
  return {
    url,
    pid,
    peakRssMiB: () => peakRss(pid),
    cpuSeconds: () => cpuSecondsOf(`/proc/${pid}`),
    stop: () => stop(child),
  };
}

/** Runs a one-shot command (`ca init`) to completion, failing with its output. */
export function runCommand(entry: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [join(root, entry)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  return new Promise((done, fail) => {
    child.once("exit", (code) =>
      code === 0 ? done() : fail(new Error(`${entry} exited with ${code}:\n${output}`)),
    );
  });
}

async function waitUntilReady(url: string, child: ChildProcess, name: string, logPath: string) {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `the ${name} exited with ${child.exitCode} before it was ready:\n${readFileSync(logPath, "utf8")}`,
      );
    }
    const status = await fetch(`${url}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((done) => setTimeout(done, 10));
  }
  child.kill("SIGKILL");
  throw new Error(`the ${name} was not ready within 60 s`);
}
