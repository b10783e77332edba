import { z } from "zod";
import { type KubernetesObject, parseValues } from "./kubernetes.ts";
import { alertmanagerExternalSecret } from "./platform/alertmanager.ts";
import { alertRules } from "./platform/alerts.ts";
import { podMonitoring } from "./platform/monitoring.ts";
import { restrictedNamespace } from "./platform/namespaces.ts";
import { baselinePolicies, workloadPolicies } from "./platform/network-policies.ts";
import { reloaderApplication } from "./platform/reloader.ts";
import { signetServices, systemNamespace } from "./services.ts";

const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "expected an IPv4 CIDR");
const treeId = z.string().regex(/^[1-9]\d{0,18}$/, "expected a tree id");

export const platformValuesSchema = z.strictObject({
  controlPlaneCidr: cidr,
  privateServicesCidr: cidr,
  availabilityGoal: z.number().gt(0.9).lt(1),
  liveTreeIds: z.array(treeId).min(1),
  reloaderChartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "pin an exact chart version (x.y.z)"),
  runbookUrl: z
    .url()
    .startsWith("https://", "expected an https URL")
    .endsWith(".md", "expected a runbook page"),
});

export type PlatformValues = z.input<typeof platformValuesSchema>;

/** The namespaces the services run in, and the one of the reloader. */
const serviceNamespaces = Object.values(signetServices).map((s) => s.namespace);

/**
 * What the services stand on: their namespaces (Pod Security `restricted`), network policies
 * that deny by default, Managed Prometheus scraping, alert rules and where their alerts go, and
 * the reloader.
 */
export function platformChart(input: PlatformValues): KubernetesObject[] {
  const values = parseValues("platform", platformValuesSchema, input);
  const namespaces = [...serviceNamespaces, systemNamespace];
  return [
    ...namespaces.map(restrictedNamespace),
    ...namespaces.flatMap(baselinePolicies),
    ...workloadPolicies(values),
    ...(["ca", "log", "prober"] as const).map(podMonitoring),
    ...alertRules(values),
    alertmanagerExternalSecret(),
    reloaderApplication({ chartVersion: values.reloaderChartVersion, namespaces: serviceNamespaces }),
  ];
}
