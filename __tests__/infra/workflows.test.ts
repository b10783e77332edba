import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  "continue-on-error"?: boolean;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean | string };
  jobs: Record<string, Job>;
}

const workflowDir = join(import.meta.dirname, "..", "..", ".github", "workflows");
const files = ["ci.yml", "plan.yml", "deploy.yml", "images.yml", "prober.yml"] as const;
const source = (file: string) => readFileSync(join(workflowDir, file), "utf8");
const workflows = Object.fromEntries(files.map((f) => [f, parse(source(f)) as Workflow])) as Record<
  (typeof files)[number],
  Workflow
>;

const jobs = (workflow: Workflow) => Object.entries(workflow.jobs);
const runs = (job: Job) => job.steps.flatMap((s) => (s.run ? [s.run] : []));
const authSteps = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("google-github-actions/auth@"));
const needs = (job: Job) => [job.needs ?? []].flat();
const stepIndex = (job: Job, match: (step: Step) => boolean) => job.steps.findIndex(match);
const runsCommand = (pattern: RegExp) => (step: Step) => pattern.test(step.run ?? "");
/** Jobs that sign or probe as the workflow's own GitHub identity, through the Actions OIDC token. */
const signsAsWorkflow = (job: Job) =>
  runs(job).some((r) => r.includes("images/sign.ts")) ||
  job.steps.some((s) => s.env?.SIGNET_PROBER_TOKEN_SOURCE === "github");

/**
 * Every job's effective permissions, granted one by one: what it reads, what it writes, and an
 * OIDC token only where it authenticates to Google Cloud or signs as the workflow.
 */
const expectedPermissions: Record<(typeof files)[number], Record<string, Record<string, string>>> = {
  "ci.yml": { test: { contents: "read" } },
  "plan.yml": {
    plan: { contents: "read", "id-token": "write", "pull-requests": "write" },
    manifests: { contents: "read" },
    "manifests-comment": { "pull-requests": "write" },
  },
  "deploy.yml": {
    staging: { contents: "read", "id-token": "write" },
    "production-plan": { contents: "read", "id-token": "write" },
    "production-apply": { contents: "read", "id-token": "write" },
  },
  "images.yml": {
    build: { contents: "read", "id-token": "write" },
    sign: { contents: "read", "id-token": "write" },
    record: { contents: "write", "pull-requests": "write" },
  },
  "prober.yml": { probe: { contents: "read", "id-token": "write", issues: "write" } },
};
/** How a workflow reads a repository variable: `${{ vars.NAME }}`. */
const repositoryVariable = (name: string) => `\${{ vars.${name} }}`;

describe("the workflow folder", () => {
  it("holds exactly the workflows validated here", () => {
    const present = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));
    expect(present.sort()).toEqual([...files].sort());
  });
});

describe.each(files)("%s", (file) => {
  it("is a valid GitHub Actions workflow", () => {
    expect(validateWorkflow(source(file)).errors).toEqual([]);
  });

  it("never runs on pull_request_target", () => {
    expect(Object.keys(workflows[file].on)).not.toContain("pull_request_target");
  });

  it("grants an OIDC token to exactly the jobs that authenticate or sign, and only read access by default", () => {
    expect(workflows[file].permissions).toEqual({ contents: "read" });
    for (const [, job] of jobs(workflows[file])) {
      const needsToken = authSteps(job).length > 0 || signsAsWorkflow(job);
      expect(job.permissions?.["id-token"] === "write").toBe(needsToken);
    }
  });

  it("grants each job only the permissions it needs", () => {
    const effective = Object.fromEntries(
      jobs(workflows[file]).map(([name, job]) => [name, job.permissions ?? workflows[file].permissions]),
    );
    expect(effective).toEqual(expectedPermissions[file]);
  });

  it("never keeps the checkout's token in the workspace", () => {
    for (const [, job] of jobs(workflows[file])) {
      for (const step of job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))) {
        expect(step.with?.["persist-credentials"]).toBe(false);
      }
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
  const job = plan.jobs.plan as Job;

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

describe("plan: rendered manifests", () => {
  const plan = workflows["plan.yml"];
  const render = plan.jobs.manifests as Job;
  const comment = plan.jobs["manifests-comment"] as Job;
  const yamlOf = (name: string) => {
    const lines = source("plan.yml").split("\n");
    const start = lines.indexOf(`  ${name}:`);
    const end = lines.findIndex((line, i) => i > start && /^ {2}\S/.test(line));
    return lines.slice(start, end === -1 ? undefined : end).join("\n");
  };

  it("keeps the Terraform plan job for pull requests from this repository", () => {
    expect(plan.jobs.plan?.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("renders the merge commit and its base, and compares them per environment", () => {
    const checkout = render.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"]).toBe(2);
    const commands = runs(render).join("\n");
    expect(commands).toContain('npm run render -- --out "$RUNNER_TEMP/manifests/head"');
    expect(commands).toContain('git worktree add --detach "$RUNNER_TEMP/base" HEAD^1');
    expect(commands).toContain('npm run render -- --out "$RUNNER_TEMP/manifests/base"');
    expect(commands).toMatch(
      /node \.github\/scripts\/manifest-diff\.ts "\$RUNNER_TEMP\/manifests" >> "\$GITHUB_STEP_SUMMARY"/,
    );
    const head = stepIndex(render, runsCommand(/manifests\/head/));
    const base = stepIndex(render, runsCommand(/manifests\/base/));
    const compare = stepIndex(render, runsCommand(/manifest-diff\.ts/));
    expect(head).toBeGreaterThan(-1);
    expect(compare).toBeGreaterThan(Math.max(head, base));
  });

  it("runs the pull request's code without cloud credentials or write access, so forks get it too", () => {
    expect(render.if).toBeUndefined();
    expect(authSteps(render)).toEqual([]);
    expect(yamlOf("manifests")).not.toMatch(/secrets\.|vars\.GCP_|id-token/);
    expect(render.permissions).toEqual({ contents: "read" });
  });

  it("comments from a job that runs no pull-request code, and only where the token can write", () => {
    expect(needs(comment)).toEqual(["manifests"]);
    expect(comment.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(comment.steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
    expect(comment.steps.some((s) => s.run !== undefined)).toBe(false);
    const uploaded = render.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with?.name;
    const downloaded = comment.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))?.with
      ?.name;
    expect(downloaded).toBe(uploaded);
  });

  it("keeps one marked comment per environment, within GitHub's size limit", () => {
    const script = String(
      comment.steps.find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script,
    );
    expect(script).toContain(`<!-- signet-manifests:\${environment} -->`);
    expect(script).toContain("updateComment");
    expect(script).toContain(".slice(0, 65536)");
    // The environment name comes from the artifact: only a plain name may become part of a marker.
    expect(script).toContain("/^[a-z][a-z0-9-]*$/.test(environment)");
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

describe("images", () => {
  const images = workflows["images.yml"];
  const build = images.jobs.build as Job;
  const sign = images.jobs.sign as Job;
  const record = images.jobs.record as Job;
  const targets = ["ca", "log", "prober"];

  it("runs on main when what goes into an image changes, and by hand, one release at a time", () => {
    expect(images.on.push).toEqual({
      branches: ["main"],
      paths: ["services/**", "images/**", "Dockerfile", "package*.json"],
    });
    expect(Object.keys(images.on)).toEqual(["push", "workflow_dispatch"]);
    expect(images.concurrency).toEqual({ group: "images", "cancel-in-progress": false });
    expect(build.if).toBe("github.ref == 'refs/heads/main'");
  });

  it("pushes with the deployer, the only account that may write images, which only main may use", () => {
    for (const job of [build, sign]) {
      const [auth] = authSteps(job);
      expect(auth?.with?.service_account).toBe(repositoryVariable("GCP_DEPLOYER_SERVICE_ACCOUNT"));
      expect(auth?.with?.workload_identity_provider).toBe(
        repositoryVariable("GCP_WORKLOAD_IDENTITY_PROVIDER"),
      );
    }
    expect(authSteps(record)).toEqual([]);
  });

  it("builds every target of the Dockerfile with buildx, on pinned bases, into the staging repository", () => {
    expect(build.steps.some((s) => s.uses?.startsWith("docker/setup-buildx-action@"))).toBe(true);
    const commands = runs(build).join("\n");
    expect(commands).toContain("node .github/scripts/endpoints.ts staging");
    expect(commands).toContain("node images/base-images.ts");
    expect(commands).toContain("docker-image://$image@$digest");
    expect(commands).toMatch(
      /for target in ca log prober; do\n\s+docker buildx build \. --target "\$target"/,
    );
    expect(commands).toContain("--push");
    expect(commands).toContain(`"\${contexts[@]}"`);
    expect(Object.keys(build.outputs ?? {})).toEqual(expect.arrayContaining(targets));
    for (const target of targets)
      expect(build.outputs?.[target]).toBe(`\${{ steps.push.outputs.${target} }}`);
  });

  it("signs after the push, exactly the digests the build pushed, with the staging instance", () => {
    expect(needs(sign)).toEqual(["build"]);
    for (const target of targets) {
      expect(sign.env?.[target.toUpperCase()]).toBe(`\${{ needs.build.outputs.${target} }}`);
    }
    const signing = stepIndex(sign, runsCommand(/node images\/sign\.ts --environment staging /));
    expect(signing).toBeGreaterThan(-1);
    expect(sign.steps[signing]?.run).toContain('"$CA" "$LOG" "$PROBER"');
    // The bundles become OCI referrers of the images, where cosign looks for them.
    const attach = stepIndex(sign, runsCommand(/oras attach "\$image"/));
    expect(attach).toBeGreaterThan(signing);
    const attachRun = sign.steps[attach]?.run ?? "";
    expect(attachRun).toContain('--artifact-type "$bundle_type"');
    expect(attachRun).toContain("bundle_type=application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(attachRun).toContain("dev.sigstore.bundle.predicateType=https://sigstore.dev/cosign/sign/v1");
  });

  it("lists the digests on the run page and as job outputs", () => {
    const summary = build.steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
    for (const target of targets) expect(summary?.env?.[target.toUpperCase()]).toBeDefined();
  });

  it("records the signed digests for staging in one pull request, with the manifests rendered from them", () => {
    expect(needs(record)).toEqual(["build", "sign"]);
    const commands = runs(record).join("\n");
    expect(commands).toContain(
      'node images/record-digest.ts --environment staging "ca=$CA" "log=$LOG" "prober=$PROBER"',
    );
    const recordStep = stepIndex(record, runsCommand(/record-digest\.ts/));
    const renderStep = stepIndex(record, runsCommand(/^npm run render$/));
    const pullRequest = stepIndex(record, runsCommand(/gh pr create/));
    expect(recordStep).toBeGreaterThan(-1);
    expect(renderStep).toBeGreaterThan(recordStep);
    expect(pullRequest).toBeGreaterThan(renderStep);
    expect(commands).toContain("git add stacks/environments/staging.yaml charts/rendered");
    expect(commands).toContain('gh pr list --head "$BRANCH" --state open');
    expect(commands).toContain("gh pr edit");
  });
});

describe("prober", () => {
  const prober = workflows["prober.yml"];
  const job = prober.jobs.probe as Job;
  const probe = job.steps.find((s) => s.id === "probe") as Step;
  const retry = job.steps.find((s) => s.id === "retry") as Step;
  const report = job.steps.find((s) => s.uses?.startsWith("actions/github-script@")) as Step;

  it("runs every 15 minutes and by hand, against each environment, one round at a time", () => {
    expect(prober.on).toEqual({ schedule: [{ cron: "*/15 * * * *" }], workflow_dispatch: null });
    expect(job.strategy?.matrix?.environment).toEqual(["staging", "production"]);
    expect(job.strategy?.["fail-fast"]).toBe(false);
    expect(prober.concurrency).toEqual({ group: "prober", "cancel-in-progress": false });
  });

  it("runs the prober's --once mode against the environment's public endpoints, signing as this workflow", () => {
    expect(runs(job)).toContain('node .github/scripts/endpoints.ts "$ENVIRONMENT" >> "$GITHUB_OUTPUT"');
    expect(probe.run).toContain("node services/prober/main.ts --once");
    const endpoint = (name: string) => `\${{ steps.endpoints.outputs.${name} }}`;
    expect(probe.env).toMatchObject({
      SIGNET_PROBER_CA_URL: endpoint("ca"),
      SIGNET_PROBER_REKOR_URL: endpoint("rekor"),
      SIGNET_PROBER_CT_URL: endpoint("ctlog"),
      SIGNET_PROBER_TSA_URL: endpoint("tsa"),
      SIGNET_PROBER_TUF_URL: endpoint("tuf"),
      SIGNET_PROBER_TUF_ROOT: endpoint("tufRoot"),
      SIGNET_PROBER_TOKEN_SOURCE: "github",
      SIGNET_PROBER_ISSUER: "https://token.actions.githubusercontent.com",
      // Fulcio's GitHub principal puts https://github.com/<job_workflow_ref> in the certificate.
      SIGNET_PROBER_IDENTITY: `\${{ github.server_url }}/\${{ github.workflow_ref }}`,
    });
    expect(authSteps(job)).toEqual([]);
  });

  it("retries a failed round once, the same way", () => {
    expect(probe["continue-on-error"]).toBe(true);
    expect(retry.if).toBe("steps.probe.outcome == 'failure'");
    expect(retry["continue-on-error"]).toBe(true);
    expect(retry.run).toContain("node services/prober/main.ts --once");
    expect(retry.env).toEqual(probe.env);
  });

  it("files the retry's failure in the environment's issue, closes it on success, and fails the run", () => {
    const order = [probe, retry, report].map((step) => job.steps.indexOf(step));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(report.if).toBeUndefined();
    expect(report.env?.FAILED).toBe(`\${{ steps.retry.outcome == 'failure' }}`);
    const script = String(report.with?.script);
    expect(script).toContain(`const labels = ["prober", \`env:\${environment}\`]`);
    expect(script).toContain("github.rest.issues.listForRepo");
    expect(script).toContain("github.rest.issues.create(");
    expect(script).toContain("github.rest.issues.createComment(");
    expect(script).toContain('state: "closed"');
    expect(script).toContain("probe.txt");
    const fail = job.steps.at(-1);
    expect(fail?.if).toBe("steps.retry.outcome == 'failure'");
    expect(fail?.run).toContain("exit 1");
  });
});
