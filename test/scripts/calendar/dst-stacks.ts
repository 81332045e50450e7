// Two small stacks in DST timezones (Europe/London, America/New_York) for the calendar tests: reminders and a window
// whose local times fall into the spring-forward gap and the fall-back hour, recorded into plans in a temp folder.
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { planText, recordStack } from "../../../scripts/lib/record-stack";

const ROOT = join(__dirname, "..", "..", "..");

function stackFile(name: string, region: string, timezone: string, gapTime: string): string {
  return stringify({
    config: {
      "aws:region": region,
      "maintenance:app": {
        name,
        environment: "nonprod",
        runbookBaseUrl: "https://github.com/example-org/maintenance-stack/blob/main",
        timezone,
      },
      "maintenance:paging": { actionsEnabled: false, pager: "none" },
      "maintenance:monitoring": {
        maintenanceWindows: [{ name: "weekly", day: "SUN", start: "01:00", end: "03:00" }],
      },
      "maintenance:reminders": [
        {
          name: "sunday-check",
          expression: `cron(${Number(gapTime.slice(3))} ${Number(gapTime.slice(0, 2))} ? * SUN *)`,
          severity: "info",
          text: "Sunday check, at a local time that does not exist on the spring-forward Sunday.",
          runbookSection: "Test > Sunday",
        },
        {
          name: "fall-back",
          expression: "cron(30 1 ? * SUN *)",
          severity: "info",
          text: "01:30 happens twice on the fall-back Sunday; Scheduler runs it once.",
          runbookSection: "Test > Fall back",
        },
        {
          name: "quarterly",
          expression: "cron(0 9 1 1,4,7,10 ? *)",
          severity: "warning",
          text: "Quarterly task.",
          runbookSection: "Test > Quarterly",
          followUp: { afterDays: 7, text: "Grace period over." },
        },
        {
          name: "window-notice",
          leadTime: { before: { window: "weekly" }, days: 2, at: "10:00" },
          severity: "info",
          text: "Announce Sunday's window.",
          runbookSection: "Test > Windows",
        },
      ],
    },
  });
}

/** Plans of the London and New York stacks plus two committed plans (Asia/Kolkata, UTC) in one temp folder. */
export async function dstPlans(): Promise<{ planDir: string; stacksDir: string }> {
  const stacksDir = mkdtempSync(join(tmpdir(), "calendar-stacks-"));
  const planDir = mkdtempSync(join(tmpdir(), "calendar-plans-"));
  writeFileSync(
    join(stacksDir, "Pulumi.london.yaml"),
    stackFile("london", "eu-west-2", "Europe/London", "01:30"),
  );
  writeFileSync(
    join(stacksDir, "Pulumi.newyork.yaml"),
    stackFile("newyork", "us-east-1", "America/New_York", "02:30"),
  );
  for (const stack of ["london", "newyork"]) {
    const rec = await recordStack(stack, stacksDir);
    writeFileSync(join(planDir, `${stack}.json`), planText(rec.plan));
  }
  for (const stack of ["skillswap-prod", "mental-scribe-prod"])
    copyFileSync(join(ROOT, "plan", `${stack}.json`), join(planDir, `${stack}.json`));
  return { planDir, stacksDir };
}
