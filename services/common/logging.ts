import { type DestinationStream, type Level, type Logger, pino } from "pino";

/** Fields that may hold credentials; pino replaces their values before a line is written. */
const redactedPaths = [
  "token",
  "*.token",
  "oidcIdentityToken",
  "*.oidcIdentityToken",
  "password",
  "*.password",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
];

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
    redact: { paths: redactedPaths, censor: "[redacted]" },
    formatters: { level: (label: string) => ({ severity: severities[label] ?? "DEFAULT" }) },
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
