import { describe, expect, it } from "vitest";
import { platformNames } from "../../charts/environment.ts";
import { proberIdentity } from "../../charts/prober.ts";
import { loadCaConfig } from "../../services/ca/config.ts";
import { loadLogConfig } from "../../services/log/config.ts";
import { loadProberConfig } from "../../services/prober/config.ts";
import { environments, find, rendered } from "./support.ts";

describe.each(Object.entries(rendered))("%s services", (name, objects) => {
  const env = environments[name] as (typeof environments)[string];
  const names = platformNames(env);
  const environmentOf = (configMap: string) =>
    find(objects, "ConfigMap", configMap).data as NodeJS.ProcessEnv;

  it("configure the CA as its own loader accepts, trusting the cluster's issuer for the prober", () => {
    const config = loadCaConfig(environmentOf("ca-env"));
    expect(config.signer).toEqual({ kind: "kms", keyVersion: names.kmsKeyVersion("ca", 1) });
    expect(config.chainPath).toBe("/etc/signet/ca/chain.pem");
    expect(config.ct?.url).toBe("http://log.signet-log.svc.cluster.local:3000");
    expect(config.issuers).toContainEqual(
      expect.objectContaining({ url: names.clusterIssuer, type: "kubernetes", clientId: "sigstore" }),
    );
    expect(config.trustedProxies?.split(",")).toEqual(
      expect.arrayContaining(["130.211.0.0/22", "35.191.0.0/16", env.charts.ca.loadBalancerAddress]),
    );
  });

  it("configure the log with KMS signers and every shard through the Auth Proxy", () => {
    const config = loadLogConfig(environmentOf("log-env"));
    expect(config.hostname).toBe(`rekor.${env.dns.domain}`);
    expect(config.logSigner).toEqual({
      kind: "kms",
      keyVersion: names.kmsKeyVersion("log", 1),
      algorithm: "ecdsa-p256-sha256",
    });
    expect(config.tsa.signer).toMatchObject({ kind: "kms", keyVersion: names.kmsKeyVersion("tsa", 1) });
    expect(config.shards).toEqual(
      env.cloudSql.shards.map((shard, i) => ({
        treeId: shard.treeId,
        state: shard.state,
        storage: `postgres://signet-log%40${env.project.id}.iam@127.0.0.1:${5432 + i}/signet`,
      })),
    );
    const proxy = find(objects, "Deployment", "log").spec.template.spec.initContainers[0];
    expect(proxy.restartPolicy).toBe("Always");
    expect(proxy.image).toMatch(/^gcr\.io\/cloud-sql-connectors\/cloud-sql-proxy:2\.\d+\.\d+$/);
    expect(proxy.args).toEqual(
      expect.arrayContaining(["--private-ip", "--auto-iam-authn", "--structured-logs", "--health-check"]),
    );
    for (const [i, shard] of env.cloudSql.shards.entries()) {
      expect(proxy.args).toContain(`${names.sqlConnectionName(shard.name)}?port=${5432 + i}`);
    }
  });

  it("configure the prober with a projected token for the CA's audience", () => {
    const config = loadProberConfig(environmentOf("prober-env"));
    expect(config.tokenSource).toEqual({ kind: "kubernetes", path: "/var/run/secrets/tokens/sigstore" });
    expect(config.identity).toEqual({
      subjectAlternativeName: proberIdentity(),
      issuer: names.clusterIssuer,
    });
    expect(config.urls.ca).toBe(`https://ca.${env.dns.domain}`);
    expect(config.trustRoot).toMatchObject({ kind: "tuf", mirrorUrl: `https://tuf.${env.dns.domain}` });
    const volumes = find(objects, "Deployment", "prober").spec.template.spec.volumes;
    expect(volumes).toContainEqual({
      name: "sigstore-token",
      projected: {
        sources: [
          { serviceAccountToken: { audience: "sigstore", expirationSeconds: 600, path: "sigstore" } },
        ],
      },
    });
  });
});
