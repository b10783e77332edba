import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { caChart } from "../../charts/ca.ts";
import { caValues, logValues } from "../../charts/environment.ts";
import { ChartValuesError } from "../../charts/kubernetes.ts";
import { logChart } from "../../charts/log.ts";
import { platformChart } from "../../charts/platform.ts";
import { loadTrustMaterial } from "../../charts/trust.ts";
import { ConfigError, configDir, loadEnvironment } from "../../src/config/load.ts";
import { environments } from "./support.ts";

const staging = environments.staging as (typeof environments)[string];
const trust = loadTrustMaterial("staging");

function refusal(render: () => unknown): string {
  try {
    render();
  } catch (error) {
    expect(error).toBeInstanceOf(ChartValuesError);
    return (error as Error).message;
  }
  throw new Error("accepted");
}

describe("chart values", () => {
  it("refuse an image by tag with one line naming the chart and field", () => {
    const values = { ...caValues(staging, trust), image: "europe-west1-docker.pkg.dev/p/signet/ca:latest" };
    expect(refusal(() => caChart(values))).toBe("ca values: image: expected an image by digest");
  });

  it("refuse an autoscaler whose maximum is below its minimum", () => {
    const values = { ...caValues(staging, trust), replicas: { min: 3, max: 2 } };
    expect(refusal(() => caChart(values))).toBe("ca values: replicas.max: max below min");
  });

  it("refuse a CT tree that collides with a shard's", () => {
    const values = logValues(staging, trust);
    const collide = { ...values, ctTreeId: staging.cloudSql.shards[0]?.treeId as string };
    expect(refusal(() => logChart(collide))).toBe("log values: ctTreeId: is also a log shard's tree id");
  });

  it("refuse a chain that is not PEM and a floating proxy tag", () => {
    expect(refusal(() => caChart({ ...caValues(staging, trust), chain: "not a certificate" }))).toBe(
      "ca values: chain: expected PEM certificates",
    );
    const proxy = {
      ...logValues(staging, trust),
      sqlProxyImage: "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2",
    };
    expect(refusal(() => logChart(proxy))).toBe(
      "log values: sqlProxyImage: pin the proxy by exact version or digest",
    );
  });

  it("refuse an unknown field", () => {
    expect(
      refusal(() =>
        platformChart({
          controlPlaneCidr: "172.16.0.0/28",
          privateServicesCidr: "10.14.0.0/20",
          availabilityGoal: 0.995,
          liveTreeIds: ["1"],
          reloaderChartVersion: "2.2.16",
          runbookUrl: "https://github.com/example-org/signet/blob/main/docs/runbooks/alerts.md",
          extra: true,
        } as never),
      ),
    ).toBe('platform values: (top level): Unrecognized key: "extra"');
  });
});

describe("the charts section of an environment file", () => {
  const dir = mkdtempSync(join(tmpdir(), "signet-charts-config-"));
  cpSync(configDir(), dir, { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const withCharts = (charts: string) => {
    const file = join(dir, "staging.yaml");
    const original = readFileSync(join(configDir(), "staging.yaml"), "utf8");
    writeFileSync(file, original.replace(/^charts:[\s\S]*$/m, charts));
    return () => loadEnvironment("staging", dir);
  };

  it("is optional, with defaults", () => {
    const env = withCharts("")();
    expect(env.charts.ca).toMatchObject({ replicas: 1, maxReplicas: 4 });
    expect(env.charts.keyVersions).toEqual({ ca: 1, log: 1, ctlog: 1, tsa: 1 });
    expect(env.charts.reloader.chartVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("refuses a bad value with one line naming the file and field", () => {
    const load = withCharts(
      "charts:\n  log:\n    resources:\n      requests: { cpu: lots, memory: 1Gi }\n      limits: { cpu: '1', memory: 1Gi }\n",
    );
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      `${join(dir, "staging.yaml")}: charts.log.resources.requests.cpu: expected CPU as cores (1, 0.5) or millicores (250m)`,
    );
  });
});
