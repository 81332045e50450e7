// The calendar's HTML page in a real headless browser (Debian's chromium-headless-shell through playwright-core):
// the events shown in a known DST week, the DST flag on that week, skipped runs and overlapping jobs.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { calendarFiles } from "../../../scripts/lib/calendar-command";
import { dstPlans } from "./dst-stacks";

jest.setTimeout(120_000);

/** Installed by .ci/run and the pretest step (apt-get install chromium-headless-shell). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium-headless-shell";
const FROM = new Date("2027-03-08T00:00:00Z"); // five weeks holding New York's and London's spring-forward Sundays

let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium-headless-shell`);
  const { planDir } = await dstPlans();
  const dir = mkdtempSync(join(tmpdir(), "calendar-html-"));
  writeFileSync(join(dir, "index.html"), calendarFiles(planDir, FROM)["calendar/index.html"]!);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage();
  await page.goto(`file://${join(dir, "index.html")}`);
});

afterAll(async () => {
  await browser?.close();
});

const shown = (week: string, stack: string) =>
  page.$$eval(`tr[data-week="${week}"] li[data-stack="${stack}"]`, (items) =>
    items.map((li) => ({
      date: li.closest("td")!.getAttribute("data-date"),
      schedule: li.getAttribute("data-schedule"),
      utc: li.getAttribute("data-utc"),
      classes: li.className,
    })),
  );

it("shows London's events of the week of its spring-forward Sunday, the skipped run and the DST flag", async () => {
  expect(await shown("2027-03-22", "london")).toEqual([
    {
      date: "2027-03-26",
      schedule: "london-reminder-window-notice",
      utc: "2027-03-26T10:00:00Z",
      classes: "event reminder",
    },
    // The window's markers (01:00-02:59 local): the 01:xx minutes are skipped, 02:00 BST (01:00 UTC) on.
    {
      date: "2027-03-28",
      schedule: "london-window-weekly-0",
      utc: "2027-03-28T01:00:00Z",
      classes: "event window skipped",
    },
    // 01:30 does not exist on 2027-03-28 in London: Scheduler skips it, and the page says so.
    { date: "2027-03-28", schedule: "london-reminder-fall-back", utc: "", classes: "event reminder skipped" },
    {
      date: "2027-03-28",
      schedule: "london-reminder-sunday-check",
      utc: "",
      classes: "event reminder skipped",
    },
  ]);
  const flag = await page.$eval('tr[data-week="2027-03-22"] .dst-flag', (e) => e.textContent);
  expect(flag).toContain("Europe/London 2027-03-28 (UTC+0 to UTC+1)");
  expect(await page.$('tr[data-week="2027-03-15"].dst')).toBeNull();
  expect(await page.$('tr[data-week="2027-03-08"].dst')).not.toBeNull(); // New York, 2027-03-14
});

it("flags the skillswap dumps whose run limits overlap (daily 23:00 and weekly 23:20 IST on Saturdays, Fargate 2 h)", async () => {
  // The weekly database maintenance (Sunday 02:00 IST, the runbook's) no longer overlaps them: the dumps moved to the
  // evening before. Its own tasks are flagged against each other: a task waits for the run lock only until the
  // latest time it can still start (its 4 h deadline less its 3 h statement_timeout), which passes before an earlier
  // task that runs to its limit ends; the run lock does not make them serial.
  const all = (await shown("2027-03-08", "skillswap-prod")).filter((e) => e.classes.includes("overlap"));
  expect(
    all
      .filter((e) => e.schedule.startsWith("skillswap-dbmaint-") && e.date === "2027-03-13")
      .map((e) => e.schedule),
  ).toEqual(
    expect.arrayContaining([
      "skillswap-dbmaint-skillswap-deep-reindex",
      "skillswap-dbmaint-skillswap-deep-vacuum-full",
    ]),
  );
  const overlaps = all.filter((e) => e.schedule.startsWith("skillswap-dump-"));
  expect(overlaps).toEqual([
    {
      date: "2027-03-13",
      schedule: "skillswap-dump-skillswap-daily",
      utc: "2027-03-13T17:30:00Z",
      classes: "event job overlap",
    },
    {
      date: "2027-03-13",
      schedule: "skillswap-dump-skillswap-weekly",
      utc: "2027-03-13T17:50:00Z",
      classes: "event job overlap",
    },
  ]);
});
