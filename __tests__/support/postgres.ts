// A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, a free loopback
// port, the unix socket inside that directory, fsync on (as production), removed on stop.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
const DATABASE = "signet";

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findBinaries();
  const user = await serverUser();
  const dir = mkdtempSync(join(tmpdir(), "signet-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const exec = (tool: string, args: string[]) => runAs(user?.name, join(bin, tool), args);
  const stop = async () => {
    await exec("pg_ctl", ["-D", data, "-m", "immediate", "stop"]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // --no-sync only skips flushing the fresh template; the running server keeps fsync on.
    await exec("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "--no-sync",
      "-E",
      "UTF8",
      "--no-locale",
    ]);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=50`;
    await exec("pg_ctl", [
      "-D",
      data,
      "-o",
      options,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    await createDatabase(port);
    return { url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function findBinaries(): string {
  const onPath = (process.env.PATH ?? "").split(":").filter((dir) => dir && existsSync(join(dir, "initdb")));
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`)
        .filter((dir) => existsSync(join(dir, "initdb")))
    : [];
  const bin = [...onPath, ...versions][0];
  if (bin === undefined) throw new Error("PostgreSQL server binaries (initdb, pg_ctl) not found");
  return bin;
}

/** initdb refuses to run as root: the cluster then belongs to the `postgres` OS user. */
async function serverUser(): Promise<{ name: string; uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number((await run("id", [flag, "postgres"])).stdout.trim());
  try {
    return { name: "postgres", uid: await id("-u"), gid: await id("-g") };
  } catch {
    throw new Error("running as root needs a `postgres` OS user to own the test cluster");
  }
}

async function runAs(user: string | undefined, command: string, args: string[]): Promise<void> {
  const [file, argv] = user ? ["runuser", ["-u", user, "--", command, ...args]] : [command, args];
  try {
    await run(file, argv, { cwd: tmpdir() });
  } catch (error) {
    const { stderr = "", stdout = "" } = error as { stderr?: string; stdout?: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr || stdout}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function createDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
