// The rotation capability as the plans declare it: rotation schedules, the rotation function's role, the created
// secrets' resource policy and key (asserted exactly, and the policy evaluated by iam-simulate), the check's alarms,
// the network warning; and the config's Secrets Manager limits and maintenance-window fit as errors.
import { loadConfig } from "../../../infra/config";
import { recordStack } from "../../../scripts/lib/record-stack";
import { evaluate, StackPolicies } from "../../contracts/permissions";
import { demoSource } from "../../support/config-source";

const A = "arn:aws:iam::123456789012";
import type { RecordedStack } from "../../../scripts/lib/record-stack";

let appointments: RecordedStack;
let skillswap: RecordedStack;
// Each stack recorded once (a recording takes seconds on two shared cores).
beforeAll(async () => {
  appointments = await recordStack("appointments-prod");
  skillswap = await recordStack("skillswap-prod");
}, 120_000);

const inputsOf = (resources: { name: string; inputs: Record<string, unknown> }[], name: string) => {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r.inputs;
};

describe("appointments: MySQL passwords rotated monthly", () => {
  it("declares one rotation per user on the schedule, the function in the dump's network, and the role exactly", async () => {
    const { resources, outputs } = appointments;
    const fnArn = "arn:aws:lambda:eu-west-1:123456789012:function:appointments-rotate-appointments";
    const rotations = resources.filter((r) => r.type === "aws:secretsmanager/secretRotation:SecretRotation");
    expect(rotations.map((r) => [r.name, r.inputs])).toEqual([
      [
        "appointments-rotation-appointments-db-backup",
        {
          secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-backup-AbCdEf",
          rotationLambdaArn: fnArn,
          rotationRules: { scheduleExpression: "cron(0 3 ? * MON#1 *)", duration: "2h" },
          rotateImmediately: false,
        },
      ],
      [
        "appointments-rotation-appointments-db-app",
        {
          secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-app-AbCdEf",
          rotationLambdaArn: fnArn,
          rotationRules: { scheduleExpression: "cron(0 3 ? * MON#1 *)", duration: "2h" },
          rotateImmediately: false,
        },
      ],
    ]);
    const fn = inputsOf(resources, "appointments-rotation-appointments-fn");
    expect(fn.vpcConfig).toEqual({
      subnetIds: ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"],
      securityGroupIds: ["sg-0a1b2c3d4e5f60733"],
    });
    expect(
      JSON.parse((fn.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG),
    ).toEqual({
      secrets: [
        {
          kind: "database",
          name: "appointments-db-backup",
          arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-backup-AbCdEf",
          engine: "mysql",
          strategy: "single-user",
        },
        {
          kind: "database",
          name: "appointments-db-app",
          arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-app-AbCdEf",
          engine: "mysql",
          strategy: "alternating-users",
          adminSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-admin-AbCdEf",
        },
      ],
    });
    // Only Secrets Manager acting for this account invokes it.
    expect(inputsOf(resources, "appointments-rotation-appointments-invoke")).toEqual({
      function: "appointments-rotate-appointments",
      action: "lambda:InvokeFunction",
      principal: "secretsmanager.amazonaws.com",
      sourceAccount: "123456789012",
    });
    const policy = JSON.parse(
      String(inputsOf(resources, "appointments-rotation-appointments-role-policy").policy),
    );
    expect(
      policy.Statement.filter(
        (s: { Sid: string }) =>
          !["WriteOwnLogs", "SendToOwnFailureQueue", "UseMessagingKeyForFailureQueue"].includes(s.Sid),
      ),
    ).toEqual([
      {
        Sid: "RotateOwnSecrets",
        Effect: "Allow",
        Action: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
        ],
        Resource: [
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-backup-AbCdEf",
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-app-AbCdEf",
        ],
      },
      {
        Sid: "ReadAdminSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-admin-AbCdEf",
      },
    ]);
    // No schedule starts a rotation function, so it has no scheduler role and no heartbeat; the check watches it.
    expect(resources.some((r) => r.name.startsWith("appointments-rotation-appointments-scheduler"))).toBe(
      false,
    );
    expect(resources.some((r) => r.name === "appointments-rotation-appointments-heartbeat")).toBe(false);
    expect(outputs.warnings).toContain(
      "rotation appointments: the rotation function runs in subnets subnet-0a1b2c3d4e5f60711, subnet-0a1b2c3d4e5f60722 with no stated route to Secrets Manager (set network.secretsManagerRoute: interface-endpoint or nat once one exists); without one every step times out",
    );
  });

  it("alarms per secret: a failed step, overdue past a month and its window, a stuck AWSPENDING", async () => {
    const { resources } = appointments;
    const alarm = (name: string) => {
      const i = inputsOf(resources, `${name}-alarm`);
      return [i.metricName, i.dimensions, i.statistic, i.period, i.threshold, i.treatMissingData];
    };
    expect(alarm("appointments-rotation-appointments-db-app-failed")).toEqual([
      "RotationFailed",
      { service: "rotate-appointments", Secret: "appointments-db-app" },
      "Maximum",
      3600,
      0,
      "notBreaching",
    ]);
    // At most 35 days between two first Mondays, the 2-hour window and a day for the daily check: 36.1.
    expect(alarm("appointments-rotation-appointments-db-app-overdue")).toEqual([
      "DaysSinceLastRotation",
      { service: "rotation-check", Secret: "appointments-db-app" },
      "Maximum",
      86400,
      36.1,
      "breaching",
    ]);
    // The check counts a never-rotated secret from one interval (31 days) before its first due rotation.
    const check = inputsOf(resources, "appointments-rotation-check-fn");
    const checkConfig = JSON.parse(
      (check.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG,
    );
    expect(checkConfig.secrets.find((x: { name: string }) => x.name === "appointments-db-app")).toEqual({
      name: "appointments-db-app",
      arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:appointments/db-app-AbCdEf",
      maxAgeDays: 36.1,
      intervalDays: 35,
    });
    expect(alarm("appointments-rotation-appointments-db-app-stuck")).toEqual([
      "PendingStuck",
      { service: "rotation-check", Secret: "appointments-db-app" },
      "Maximum",
      86400,
      0,
      "notBreaching",
    ]);
  });
});

describe("skillswap: JWT secrets created and rotated quarterly", () => {
  it("creates each secret under the stack's secrets key with a resource policy only the backend and the rotation role pass", async () => {
    const rec = skillswap;
    const { resources } = rec;
    const secret = inputsOf(resources, "skillswap-rotation-jwt-secret");
    expect(secret).toEqual({
      name: "skillswap/jwt-secret",
      description: "JWT_SECRET of the backend",
      kmsKeyId: resources.find((r) => r.name === "skillswap-keys-secrets")!.arn,
      recoveryWindowInDays: 30,
      tags: expect.objectContaining({ app: "skillswap" }),
    });
    const key = JSON.parse(String(inputsOf(resources, "skillswap-keys-secrets").policy));
    expect(key.Statement[1]).toEqual({
      Sid: "AccountUseThroughServices",
      Effect: "Allow",
      Principal: { AWS: `${A}:root` },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": "123456789012",
          "kms:ViaService": ["secretsmanager.ap-south-1.amazonaws.com"],
        },
      },
    });
    const rotationRole = `${A}:role/skillswap-rotate-generated-job`;
    const policyInputs = inputsOf(resources, "skillswap-rotation-jwt-secret-policy");
    const secretArn = String(policyInputs.secretArn);
    expect(JSON.parse(String(policyInputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AppRolesRead",
          Effect: "Allow",
          Principal: { AWS: [`${A}:role/skillswap-backend`] },
          Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
          Resource: "*",
        },
        {
          Sid: "RotationFunctionRotates",
          Effect: "Allow",
          Principal: { AWS: rotationRole },
          Action: [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
          ],
          Resource: "*",
        },
        {
          Sid: "NobodyElseReadsTheValue",
          Effect: "Deny",
          Principal: "*",
          Action: "secretsmanager:GetSecretValue",
          Resource: "*",
          Condition: {
            StringNotEquals: { "aws:PrincipalArn": [`${A}:role/skillswap-backend`, rotationRole] },
          },
        },
      ],
    });
    expect(policyInputs.blockPublicPolicy).toBe(true);
    expect(inputsOf(resources, "skillswap-rotation-jwt-secret-rotation")).toEqual({
      secretId: secretArn,
      rotationLambdaArn: "arn:aws:lambda:ap-south-1:123456789012:function:skillswap-rotate-generated",
      rotationRules: { scheduleExpression: "cron(30 20 ? 1,4,7,10 SAT#1 *)", duration: "2h" },
      rotateImmediately: true,
    });
    // The policy as AWS evaluates it: the backend reads, the rotation role reads, a job role of the same stack with
    // no grant of its own is refused by the explicit deny whatever IAM would say.
    const policies = new StackPolicies(rec);
    const read = (principal: string) => ({
      principal,
      action: "secretsmanager:GetSecretValue",
      resource: secretArn,
      context: { "aws:PrincipalArn": principal, "aws:SecureTransport": "true" },
      because: "test",
    });
    expect(await evaluate(read(`${A}:role/skillswap-backend`), policies)).toBeNull();
    expect(await evaluate(read(rotationRole), policies)).toBeNull();
    const other = await evaluate(read(`${A}:role/skillswap-rotation-check-job`), policies);
    expect(other?.deniedBy).toContain("NobodyElseReadsTheValue");
  });
});

describe("rotation config", () => {
  const db = (schedule: object) => ({
    databases: [
      {
        name: "app",
        engine: "postgres",
        users: [
          {
            secretArn: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:app-AbCdEf",
            strategy: "single-user",
          },
        ],
        schedule,
      },
    ],
  });
  const problems = (sections: Record<string, unknown>) => {
    try {
      loadConfig(demoSource(sections));
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
  };

  it("holds Secrets Manager's rotation limits", () => {
    expect(problems({ rotation: db({ expression: "cron(0 23 1 * ? *)", duration: "2h" }) })).toEqual([
      "maintenance:rotation.databases[0].schedule.duration: the 2h window starting 23:00 UTC runs into the next UTC day, which Secrets Manager refuses",
    ]);
    expect(problems({ rotation: db({ expression: "rate(2 hours)", duration: "1h" }) })).toEqual([
      "maintenance:rotation.databases[0].schedule.expression: rotates at most every 4 hours",
    ]);
    expect(problems({ rotation: db({ expression: "rate(6 hours)", duration: "7h" }) })).toEqual([
      "maintenance:rotation.databases[0].schedule.duration: the 7h window runs into the next rotation's window",
    ]);
    expect(problems({ rotation: db({ expression: "cron(0 3 1 * ? *)", duration: "25h" }) })).toEqual([
      "maintenance:rotation.databases[0].schedule.duration: must be 1h-24h, e.g. 2h",
    ]);
    expect(problems({ rotation: db({ expression: "cron(0 3 1 * ? *)", duration: "2h" }) })).toEqual([]);
  });

  it("needs an admin secret for alternating users, and a window inside the stack's maintenance windows", () => {
    const alt = db({ expression: "cron(0 3 ? * SUN *)", duration: "2h" });
    (alt.databases[0]!.users[0] as Record<string, string>).strategy = "alternating-users";
    expect(problems({ rotation: alt })).toEqual([
      "maintenance:rotation.databases[0].users[0].adminSecretArn: required with alternating-users (the user that creates the clone and copies the grants)",
    ]);
    const windows = { maintenanceWindows: [{ name: "weekly", day: "SUN", start: "02:00", end: "04:00" }] };
    expect(
      problems({ rotation: db({ expression: "cron(0 2 ? * SUN *)", duration: "2h" }), monitoring: windows }),
    ).toEqual([]);
    expect(
      problems({ rotation: db({ expression: "cron(0 3 ? * SUN *)", duration: "2h" }), monitoring: windows }),
    ).toEqual([
      "maintenance:rotation.databases[0].schedule: the window 2030-01-06T03:00Z + 2h is outside every maintenance window (weekly: SUN 02:00-04:00 UTC); move the schedule or shorten the window",
    ]);
  });

  it("fits rotation windows into a maintenance window that crosses midnight (Saturday 23:00 to Sunday 01:00)", () => {
    const late = { maintenanceWindows: [{ name: "weekly", day: "SAT", start: "23:00", end: "01:00" }] };
    for (const expression of ["cron(0 23 ? * SAT *)", "cron(0 0 ? * SUN *)"])
      expect(problems({ rotation: db({ expression, duration: "1h" }), monitoring: late })).toEqual([]);
    expect(
      problems({ rotation: db({ expression: "cron(0 1 ? * SUN *)", duration: "1h" }), monitoring: late }),
    ).toEqual([
      "maintenance:rotation.databases[0].schedule: the window 2030-01-06T01:00Z + 1h is outside every maintenance window (weekly: SAT 23:00-01:00 UTC); move the schedule or shorten the window",
    ]);
  });
});
