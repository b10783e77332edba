/** One probe's outcome: an HTTP request, or a step such as signing or verifying a bundle. */
export interface ProbeResult {
  ok: boolean;
  /** Which part of the instance: ca, rekor, ctlog, tsa, tuf, oidc, client (sigstore-js), monitor. */
  service: string;
  /** Absent for steps that are not a single request. */
  method?: string;
  /** The request path, or the step's name. */
  endpoint: string;
  host?: string;
  status?: number;
  ms: number;
  error?: string;
}

export interface RoundReport {
  ok: boolean;
  startedAt: Date;
  ms: number;
  results: ProbeResult[];
}

/** Status and time read best right-aligned. */
const rightAligned = new Set([5, 6]);

function columns(result: ProbeResult): string[] {
  return [
    result.ok ? "ok" : "FAIL",
    result.service,
    result.method ?? "",
    result.host ?? "",
    result.endpoint,
    result.status === undefined ? "-" : String(result.status),
    `${Math.round(result.ms)} ms`,
  ];
}

/** The human-readable report `--once` prints: one aligned line per probe, then a verdict. */
export function formatReport(report: RoundReport): string {
  const rows = report.results.map(columns);
  const widths = rows.reduce<number[]>(
    (max, row) => row.map((cell, i) => Math.max(max[i] ?? 0, cell.length)),
    [],
  );
  const lines = rows.map((row, i) => {
    const error = report.results[i]?.error;
    const aligned = row.map((cell, j) =>
      rightAligned.has(j) ? cell.padStart(widths[j] ?? 0) : cell.padEnd(widths[j] ?? 0),
    );
    return `${aligned.join("  ")}${error ? `  ${error}` : ""}`.trimEnd();
  });
  const failed = report.results.filter((r) => !r.ok).length;
  const verdict = report.ok
    ? `round passed: ${report.results.length} probes in ${Math.round(report.ms)} ms`
    : `round FAILED: ${failed} of ${report.results.length} probes failed in ${Math.round(report.ms)} ms`;
  return `${[...lines, verdict].join("\n")}\n`;
}
