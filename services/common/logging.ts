import { type DestinationStream, type Level, type Logger, pino } from "pino";

/**
 * Header paths pino's own redaction replaces. Paths that begin with a wildcard are left out on
 * purpose: pino then runs its (cloning) redactor on every line, the access log included, which
 * was a sixth of all the log service's allocation under load; `withoutSecrets` covers them.
 */
const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
];

/** Keys whose values are credentials, wherever they appear at the top level or one level down. */
const secretKeys = ["token", "oidcIdentityToken", "password"];
const censor = "[redacted]";

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * The logged object with credentials replaced: `token` and `request.token` alike. Copies only
 * what it changes, so a line without secrets costs one pass over its keys.
 */
export function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (secretKeys.includes(key)) {
      copy ??= { ...object };
      copy[key] = censor;
    } else if (isPlainObject(value) && secretKeys.some((inner) => Object.hasOwn(value, inner))) {
      copy ??= { ...object };
      const inner = { ...value };
      for (const secret of secretKeys) if (Object.hasOwn(inner, secret)) inner[secret] = censor;
      copy[key] = inner;
    }
  }
  return copy ?? object;
}

/** Cloud Logging reads `severity` from JSON lines; its names differ from pino's for two levels. */
const severities: Record<string, string> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

export type LogLevel = Level | "silent";

/** JSON lines on stdout (or `destination`), one logger per service. */
export function createLogger(name: string, level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    messageKey: "message",
    redact: { paths: redactedPaths, censor },
    formatters: {
      level: (label: string) => ({ severity: severities[label] ?? "DEFAULT" }),
      log: withoutSecrets,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination ?? bufferedStdout());
}

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * stdout written 4 KiB at a time rather than a write(2) per line: under load the access log alone
 * cost a system call per request. A timer bounds how long a quiet service holds a line back, and
 * pino flushes what is left when the process exits.
 */
function bufferedStdout(): ReturnType<typeof pino.destination> {
  if (!stdout) {
    const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    setInterval(() => {
      try {
        stream.flush();
      } catch {
        // Closed at exit, or a write already in flight: the next tick or exit flushes it.
      }
    }, 1000).unref();
    stdout = stream;
  }
  return stdout;
}
