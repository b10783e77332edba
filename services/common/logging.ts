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
  // pino's default stdout stream is asynchronous and flushed on exit.
  return destination ? pino(options, destination) : pino(options);
}
