import { describe, expect, it } from "vitest";
import { type App, Testing } from "../../src/cdktf.ts";
import { PlatformStack } from "../../stacks/platform-stack.ts";
import { resourcesOf, type Synthesized } from "../infra/support.ts";
import { environments, find, ofKind, rendered } from "./support.ts";

/** What the charts name must exist under that name in the platform stack that creates it. */
describe.each(Object.entries(environments))("%s charts against the platform stack", (name, env) => {
  const stack = new PlatformStack(Testing.app() as App, `${name}-platform`, env);
  const doc = JSON.parse(Testing.synth(stack)) as Synthesized;
  const all = (type: string) => resourcesOf(doc, type).map(([, r]) => r as Record<string, any>);
  const objects = rendered[name] as any[];

  it("annotates each service account with the Google account bound to exactly it", () => {
    const bindings = all("google_service_account_iam_member").map((b) => b.member);
    const accounts = all("google_service_account").map((a) => a.account_id);
    for (const account of ofKind(objects, "ServiceAccount")) {
      const email = account.metadata.annotations["iam.gke.io/gcp-service-account"] as string;
      expect(email.endsWith(`@${env.project.id}.iam.gserviceaccount.com`)).toBe(true);
      expect(accounts).toContain(email.split("@")[0]);
      expect(bindings).toContain(
        `serviceAccount:${env.project.id}.svc.id.goog[${account.metadata.namespace}/${account.metadata.name}]`,
      );
    }
  });

  it("signs with keys of the platform's key ring", () => {
    const [ring] = all("google_kms_key_ring");
    const keys = all("google_kms_crypto_key").map((k) => k.name);
    const data = {
      ...find(objects, "ConfigMap", "ca-env").data,
      ...find(objects, "ConfigMap", "log-env").data,
    };
    for (const variable of ["SIGNET_CA_KEY", "SIGNET_LOG_KEY", "SIGNET_CT_KEY", "SIGNET_TSA_KEY"]) {
      const match =
        /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)\/cryptoKeyVersions\/\d+$/.exec(
          data[variable],
        );
      expect(match?.slice(1, 4)).toEqual([env.project.id, ring?.location, ring?.name]);
      expect(keys).toContain(match?.[4]);
    }
  });

  it("connects to the platform's Cloud SQL instances and database", () => {
    const instances = all("google_sql_database_instance").map(
      (i) => `${env.project.id}:${i.region}:${i.name}`,
    );
    const args: string[] = find(objects, "Deployment", "log").spec.template.spec.initContainers[0].args;
    const connections = args.filter((a) => a.includes(":")).map((a) => a.split("?")[0]);
    expect(connections.sort()).toEqual(instances.sort());
    expect(all("google_sql_database").map((d) => d.name)).toContain("signet");
  });

  it("serves on the platform's static addresses and DNS names, and trusts its cluster's issuer", () => {
    const addresses = all("google_compute_global_address").map((a) => a.name);
    const records = all("google_dns_record_set").map((r) => r.name);
    for (const ingress of ofKind(objects, "Ingress")) {
      expect(addresses).toContain(
        ingress.metadata.annotations["kubernetes.io/ingress.global-static-ip-name"],
      );
      expect(records).toContain(`${ingress.spec.rules[0].host}.`);
    }
    const [cluster] = all("google_container_cluster");
    const issuers = JSON.parse(find(objects, "ConfigMap", "ca-env").data.SIGNET_CA_ISSUERS);
    expect(issuers[0].url).toBe(
      `https://container.googleapis.com/v1/projects/${env.project.id}/locations/${cluster?.location}/clusters/${cluster?.name}`,
    );
  });
});
