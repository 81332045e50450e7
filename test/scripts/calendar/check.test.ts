// npm run calendar -- --check: passes on what it wrote, fails once a plan changes, and regenerates at the committed period.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCalendar } from "../../../scripts/lib/calendar-command";

const ROOT = join(__dirname, "..", "..", "..");

it("is clean right after writing, stale after a plan's schedule changes, at the period period.json holds", () => {
  const planDir = mkdtempSync(join(tmpdir(), "calendar-check-plans-"));
  const outDir = mkdtempSync(join(tmpdir(), "calendar-check-out-"));
  cpSync(join(ROOT, "plan", "telemed-prod.json"), join(planDir, "telemed-prod.json"));
  const log: string[] = [];
  const opts = { planDir, outDir, log: (l: string) => log.push(l) };
  expect(runCalendar({ ...opts, from: "2027-01-06" }).code).toBe(0);
  expect(JSON.parse(readFileSync(join(outDir, "calendar", "period.json"), "utf8")).from).toBe("2027-01-04");
  // A month later, --check still compares at the committed period (it does not go stale by the clock alone).
  expect(runCalendar({ ...opts, check: true, now: new Date("2027-02-01T00:00:00Z") })).toMatchObject({
    code: 0,
  });
  const file = join(planDir, "telemed-prod.json");
  writeFileSync(
    file,
    readFileSync(file, "utf8").replace("cron(0 10 1 1,4,7,10 ? *)", "cron(0 11 1 1,4,7,10 ? *)"),
  );
  const stale = runCalendar({ ...opts, check: true });
  expect(stale.code).toBe(1);
  // The quarterly reminder is outside the five weeks of the Markdown and HTML views, inside the year of the ICS; the
  // runbook matrix shows its expression.
  expect(stale.stale).toEqual(["calendar/telemed-prod.ics", "runbooks/telemed.md"]);
  expect(log.at(-1)).toContain("npm run calendar -- --from 2027-01-04");
});
