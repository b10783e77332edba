import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean | string };
  jobs: Record<string, Job>;
}

const workflowDir = join(import.meta.dirname, "..", "..", ".github", "workflows");
const files = ["ci.yml", "plan.yml", "deploy.yml"] as const;
const source = (file: string) => readFileSync(join(workflowDir, file), "utf8");
const workflows = Object.fromEntries(files.map((f) => [f, parse(source(f)) as Workflow])) as Record<
  (typeof files)[number],
  Workflow
>;

const jobs = (workflow: Workflow) => Object.entries(workflow.jobs);
const runs = (job: Job) => job.steps.flatMap((s) => (s.run ? [s.run] : []));
const authSteps = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("google-github-actions/auth@"));
const needs = (job: Job) => [job.needs ?? []].flat();
/** How a workflow reads a repository variable: `${{ vars.NAME }}`. */
const repositoryVariable = (name: string) => `\${{ vars.${name} }}`;

describe.each(files)("%s", (file) => {
  it("is a valid GitHub Actions workflow", () => {
    expect(validateWorkflow(source(file)).errors).toEqual([]);
  });

  it("never runs on pull_request_target", () => {
    expect(Object.keys(workflows[file].on)).not.toContain("pull_request_target");
  });

  it("grants an OIDC token to exactly the jobs that authenticate, and only read access by default", () => {
    expect(workflows[file].permissions).toEqual({ contents: "read" });
    for (const [, job] of jobs(workflows[file])) {
      const authenticates = authSteps(job).length > 0;
      expect(job.permissions?.["id-token"] === "write").toBe(authenticates);
    }
  });
});

describe("the validator", () => {
  it("reports a broken workflow", () => {
    const broken =
      "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    stepz:\n      - runn: npm test\n";
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });
});

describe("ci", () => {
  it("lints, typechecks and tests on pushes and pull requests", () => {
    expect(Object.keys(workflows["ci.yml"].on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    const commands = jobs(workflows["ci.yml"]).flatMap(([, job]) => runs(job));
    expect(commands).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^npm ci\b/),
        "npm run lint",
        "npm run typecheck",
        "npm test",
      ]),
    );
  });
});

describe("plan", () => {
  const plan = workflows["plan.yml"];
  const [[, job]] = jobs(plan) as [[string, Job]];

  it("plans both environments on pull requests, one concurrency group per pull request", () => {
    expect(Object.keys(plan.on)).toEqual(["pull_request"]);
    expect(job.strategy?.matrix?.stack).toEqual(["staging-platform", "production-platform"]);
    expect(plan.concurrency?.group).toContain("github.event.pull_request.number");
  });

  it("authenticates as the read-only planner, never the deployer, and takes no state lock", () => {
    expect(source("plan.yml")).not.toContain("DEPLOYER");
    const [auth] = authSteps(job);
    expect(auth?.with?.service_account).toBe(repositoryVariable("GCP_PLANNER_SERVICE_ACCOUNT"));
    expect(auth?.with?.workload_identity_provider).toBe(repositoryVariable("GCP_WORKLOAD_IDENTITY_PROVIDER"));
    expect(runs(job)).toContain('npm run plan -- "$STACK" -- -lock=false --text');
    expect(runs(job).join("\n")).not.toMatch(/terraform apply|cdktf deploy/);
  });

  it("keeps one marked comment per stack and uploads the plan", () => {
    const comment = job.steps.find((s) => s.uses?.startsWith("actions/github-script@"));
    const script = String(comment?.with?.script);
    expect(script).toContain(`<!-- signet-plan:\${stack} -->`);
    expect(script).toContain("updateComment");
    expect(script).toContain("65536");
    expect(script).toContain("<details>");
    expect(job.permissions?.["pull-requests"]).toBe("write");
    expect(job.steps.some((s) => s.uses?.startsWith("actions/upload-artifact@"))).toBe(true);
  });
});

describe("deploy", () => {
  const deploy = workflows["deploy.yml"];
  const environment = (job: Job | undefined) =>
    typeof job?.environment === "object" ? job.environment.name : job?.environment;

  it("runs on main one deploy at a time, never cancelling one in progress", () => {
    expect(deploy.on.push).toEqual({ branches: ["main"] });
    expect(deploy.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false });
  });

  it("authenticates as the deployer", () => {
    for (const [, job] of jobs(deploy)) {
      for (const auth of authSteps(job)) {
        expect(auth.with?.service_account).toBe(repositoryVariable("GCP_DEPLOYER_SERVICE_ACCOUNT"));
      }
    }
  });

  it("only ever applies a saved plan file", () => {
    const commands = jobs(deploy)
      .flatMap(([, job]) => runs(job))
      .join("\n");
    const applies = commands.match(/terraform apply[^\n]*/g) ?? [];
    expect(applies.length).toBe(2);
    for (const apply of applies) expect(apply).toMatch(/ tfplan$/);
    expect(commands).not.toMatch(/cdktf deploy|-auto-approve/);
  });

  it("applies staging first, then production behind the protected environment", () => {
    expect(environment(deploy.jobs.staging)).toBe("staging");
    const production = jobs(deploy).filter(([, job]) => environment(job) === "production");
    expect(production).toHaveLength(1);
    const [[name, apply]] = production as [[string, Job]];
    expect(runs(apply).join("\n")).toMatch(/terraform apply -input=false tfplan/);
    // Production waits for staging, directly or through its plan job.
    const upstream = (job: string): string[] =>
      needs(deploy.jobs[job] as Job).flatMap((n) => [n, ...upstream(n)]);
    expect(upstream(name)).toContain("staging");
  });

  it("applies in production the plan its plan job uploaded", () => {
    const plan = deploy.jobs["production-plan"] as Job;
    const apply = deploy.jobs["production-apply"] as Job;
    expect(needs(apply)).toEqual(["production-plan"]);
    const uploaded = plan.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with?.name;
    const downloaded = apply.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))?.with?.name;
    expect(uploaded).toBe("plan-production-platform");
    expect(downloaded).toBe(uploaded);
    expect(apply.steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
  });
});
