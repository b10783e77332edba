import { Counter, type Registry } from "prom-client";

/** Certificates issued by issuer type, and refusals by the check that failed. */
export class CaMetrics {
  private readonly issuedTotal: Counter<"issuer_type">;
  private readonly refusalsTotal: Counter<"reason">;

  constructor(registry: Registry) {
    this.issuedTotal = new Counter({
      name: "signet_ca_certificates_issued_total",
      help: "Signing certificates issued, by OIDC issuer type",
      labelNames: ["issuer_type"],
      registers: [registry],
    });
    this.refusalsTotal = new Counter({
      name: "signet_ca_refusals_total",
      help: "Certificate requests refused, by reason (the error code returned)",
      labelNames: ["reason"],
      registers: [registry],
    });
  }

  issued(issuerType: string): void {
    this.issuedTotal.inc({ issuer_type: issuerType });
  }

  refused(reason: string): void {
    this.refusalsTotal.inc({ reason });
  }
}
