// The contracts between the parts, for every stack: each job's real calls are allowed by the policies AWS would
// evaluate, every granted action is used, and every alarm on a metric this project publishes is fed.
import { type RecordedStack, recordStack } from "../../scripts/lib/record-stack";
import { type FedAlarm, unfedAlarms } from "./metrics";
import {
  deliveryRequests,
  describeDenial,
  evaluate,
  type IamRequest,
  platformRequests,
  replicationRequests,
  requestsFor,
  StackPolicies,
} from "./permissions";
import { unusedGrants } from "./least-privilege";
import { hostRequests } from "./hosts";
import { wiringRequests } from "./wiring";
import { type JobRun, runStackJobs } from "./job-runs";
import type { AwsWorld } from "./aws-world";

jest.setTimeout(120_000);

/** Defines the contracts of each stack (`dir`: where its stack file is, `stacks/` by default). */
export function defineContracts(stacks: readonly { stack: string; dir?: string }[]): void {
  describe.each(stacks.map((s) => [s.stack, s.dir] as const))("contracts of stack %s", (stack, dir) => {
    let rec: RecordedStack;
    let runs: JobRun[];
    let requests: { run: JobRun; requests: IamRequest[] }[];
    let policies: StackPolicies;
    let world: AwsWorld;

    beforeAll(async () => {
      rec = await recordStack(stack, dir);
      policies = new StackPolicies(rec);
      const out = await runStackJobs(rec);
      runs = out.runs;
      world = out.world;
      requests = runs.map((run) => ({
        run,
        requests: [
          ...run.sent.flatMap((c) => requestsFor(c, run.roleArn, policies, out.world)),
          ...platformRequests(rec, run, policies),
        ],
      }));
    }, 600_000); // under the full parallel suite one stack's runs can take minutes on two cores

    it("runs every job, and each run sends AWS calls or emits metrics", () => {
      expect(runs.length).toBeGreaterThan(0);
      // Every invocation must end as AWS would count a success (a handler error is a failed run here).
      expect(
        runs.flatMap((r) =>
          r.outcomes.filter((o) => o.startsWith("error") || o === "exit 1").map((o) => `${r.job}: ${o}`),
        ),
      ).toEqual([]);
      for (const r of runs)
        expect({ job: r.job, calls: r.sent.length + r.emf.length > 0 }).toEqual({ job: r.job, calls: true });
    });

    it("runs every database maintenance task to ok, or to a refusal only for being outside its window", () => {
      // The tasks ran on the local database with the plan's config, after the dumps were verified: a rewriting task
      // found its verified dump fresh, so only a heavy task run outside its window (now) may refuse.
      const ends = runs
        .filter((r) => r.job.includes("-dbmaint-"))
        .flatMap((r) => r.outcomes.map((o) => `${r.job}: ${o}`))
        .filter(
          (o) =>
            !/: \{"heartbeat":/.test(o) &&
            !/"outcome":"ok"/.test(o) &&
            !/"outcome":"refused","reason":"[a-z]+ is heavy and runs only inside window/.test(o),
        );
      expect(ends).toEqual([]);
    });

    it("takes each PostgreSQL dump through the multipart upload path, so its permissions are proven too", () => {
      // The contract database's dump is over one upload part (scripts/ci/databases.sh).
      const pgDumps = runs.filter((r) => r.config.engine === "postgres" && r.config.passwordSecretArn);
      for (const r of pgDumps)
        expect({ job: r.job, parts: r.sent.filter((c) => c.command === "UploadPart").length > 1 }).toEqual({
          job: r.job,
          parts: true,
        });
    });

    it("allows every call each job's code makes, and what Lambda does for it (role, bucket, queue and key policies)", async () => {
      const denied: string[] = [];
      for (const { run, requests: rs } of requests) {
        for (const r of rs) {
          const d = await evaluate(r, policies);
          if (d) denied.push(describeDenial(stack, run.job, d));
        }
      }
      expect([...new Set(denied)]).toEqual([]);
    });

    it("replicates the dumps of a stack that names a DR region and replicates, and nothing of any other stack", () => {
      const configs = rec.resources.filter(
        (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
      );
      const dr = rec.config.encryption.drRegion;
      if (!dr) expect(configs).toEqual([]);
      // Replication is proven only if the runs replicated something under every configured rule's bucket.
      const sources = new Set(world.replicated.map((e) => e.rule.sourceBucket));
      expect(configs.map((c) => c.inputs.bucket).filter((b) => !sources.has(String(b)))).toEqual([]);
    });

    it("allows what AWS services do for the stack: Logs exports, Firehose, alarms, schedules, rules, subscriptions, replication, host windows", async () => {
      const denied: string[] = [];
      for (const r of [
        ...deliveryRequests(rec, policies, runs),
        ...wiringRequests(rec),
        ...replicationRequests(rec, policies, world),
        ...hostRequests(rec, policies),
      ]) {
        const d = await evaluate(r, policies);
        if (d) denied.push(describeDenial(stack, r.principal, d));
      }
      expect([...new Set(denied)]).toEqual([]);
    });

    it("grants no service role an action its wiring never uses (schedulers, execution roles, Firehose, subscriptions)", () => {
      const jobRoles = new Set(runs.map((r) => r.roleArn));
      const service = [
        ...deliveryRequests(rec, policies, runs),
        ...wiringRequests(rec),
        ...replicationRequests(rec, policies, world),
        ...hostRequests(rec, policies),
        ...requests.flatMap((r) => r.requests),
      ];
      const unused = policies
        .roleArns()
        .filter((arn) => !jobRoles.has(arn))
        .flatMap((arn) =>
          unusedGrants(
            policies.identityPolicies(arn),
            service.filter((r) => r.principal === arn),
          ).map((u) => `${stack} ${arn.split("/").pop()}: ${u}`),
        );
      expect(unused).toEqual([]);
    });

    it("grants no action that no recorded call uses (least privilege)", () => {
      const unused = requests.flatMap(({ run, requests: rs }) =>
        unusedGrants(
          policies.identityPolicies(run.roleArn),
          rs.filter((r) => r.principal === run.roleArn),
        ).map((u) => `${stack} ${run.job}: ${u}`),
      );
      expect(unused).toEqual([]);
    });

    it("feeds every alarm on a project metric with a datapoint of exactly its namespace, name and dimensions", () => {
      const unfed: FedAlarm[] = unfedAlarms(rec, runs);
      expect(unfed.map((a) => `${stack}: ${a.alarm} watches ${a.watches}, but ${a.why}`)).toEqual([]);
    });
  });
}
