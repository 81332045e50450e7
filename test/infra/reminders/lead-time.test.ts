// A lead time names any schedule of the stack: a job schedule by the name the plan records, or a window; a name the
// stack does not have is an error naming the stack file and key, before pulumi up changes anything.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { recordStack } from "../../../scripts/lib/record-stack";

jest.setTimeout(60_000);

function stack(reminders: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), "lead-time-"));
  writeFileSync(
    join(dir, "Pulumi.lt.yaml"),
    stringify({
      config: {
        "aws:region": "eu-west-2",
        "maintenance:app": {
          name: "lt",
          environment: "nonprod",
          runbookBaseUrl: "https://github.com/example-org/maintenance-stack/blob/main",
          timezone: "Europe/London",
        },
        "maintenance:paging": { actionsEnabled: false, pager: "none" },
        "maintenance:certificates": {
          endpoints: [{ host: "example.com" }],
          schedule: { name: "weekly", expression: "cron(0 6 ? * MON *)" },
        },
        "maintenance:reminders": reminders,
      },
    }),
  );
  return dir;
}
const reminder = (before: unknown, days = 3) => ({
  name: "announce",
  leadTime: { before, days },
  severity: "info",
  text: "Announce it.",
  runbookSection: "Test",
});

it("announces a job's schedule by its plan name, in that schedule's timezone", async () => {
  const rec = await recordStack("lt", stack([reminder({ schedule: "lt-cert-check-weekly" })]));
  const s = rec.plan.resources.find((r) => r.inputs.name === "lt-reminder-announce")!;
  expect([s.inputs.scheduleExpression, s.inputs.scheduleExpressionTimezone]).toEqual([
    "cron(0 6 ? * FRI *)",
    "Europe/London",
  ]);
});

it("refuses a schedule the stack does not declare, naming the file, the key and the schedules it has", async () => {
  await expect(
    recordStack("lt", stack([reminder({ schedule: "lt-restore-drill-quarterly" })])),
  ).rejects.toThrow(
    "stacks/Pulumi.lt.yaml has 1 invalid setting; nothing was deployed:\n  - maintenance:reminders[0].leadTime.before.schedule: no schedule lt-restore-drill-quarterly in this stack; it has lt-cert-check-heartbeat, lt-cert-check-weekly",
  );
});

it("refuses a window the stack does not have before anything is declared", async () => {
  await expect(recordStack("lt", stack([reminder({ window: "quarterly" })]))).rejects.toThrow(
    'maintenance:reminders[0].leadTime.before.window: no maintenance window "quarterly" (monitoring.maintenanceWindows has none)',
  );
});
