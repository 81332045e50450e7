// The calendar as a function (write, --check), so the CLI and the tests run the same code: reads the recorded plans,
// writes docs/calendar/<stack>.ics and <stack>.md and one index.html, anchored at the period in period.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DateTime } from "luxon";
import { renderIcs } from "../calendar/ics";
import { stackCalendar, weekStart } from "../calendar/model";
import { renderHtml, renderMarkdown } from "../calendar/views";
import type { Plan } from "./record-stack";

const ROOT = join(__dirname, "..", "..");
export const DEFAULT_CALENDAR_DIR = join(ROOT, "docs", "calendar");
const DEFAULT_PLAN_DIR = join(ROOT, "plan");

/** The ICS covers a year; the Markdown tables and the HTML page the next five weeks. */
export const ICS_DAYS = 365;
export const VIEW_WEEKS = 5;

export interface CalendarOptions {
  readonly check?: boolean;
  /** First day (a Monday is used: the week that holds it). @default period.json's with --check, else today */
  readonly from?: string;
  readonly planDir?: string;
  readonly outDir?: string;
  readonly log?: (line: string) => void;
  readonly now?: Date;
}

export interface CalendarResult {
  readonly code: number;
  readonly stale: string[];
  readonly files: Record<string, string>;
}

/** Every file the calendar consists of, by name, for the plans in planDir and the period starting `from`. */
export function calendarFiles(planDir: string, from: Date): Record<string, string> {
  const stacks = readdirSync(planDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
  const until = DateTime.fromJSDate(from, { zone: "UTC" }).plus({ days: ICS_DAYS }).toJSDate();
  const viewUntil = DateTime.fromJSDate(from, { zone: "UTC" }).plus({ weeks: VIEW_WEEKS }).toJSDate();
  const files: Record<string, string> = {
    "period.json": `${JSON.stringify({ from: DateTime.fromJSDate(from, { zone: "UTC" }).toISODate(), icsDays: ICS_DAYS, viewWeeks: VIEW_WEEKS }, null, 2)}\n`,
  };
  const views = [];
  for (const stack of stacks) {
    const plan = JSON.parse(readFileSync(join(planDir, `${stack}.json`), "utf8")) as Plan;
    const year = stackCalendar(stack, plan.resources, from, until);
    files[`${stack}.ics`] = renderIcs(year, from);
    const weeks = {
      ...year,
      events: year.events.filter(
        (e) => (e.start ?? new Date(`${e.local.date}T${e.local.time}Z`)) < viewUntil,
      ),
    };
    files[`${stack}.md`] = renderMarkdown(weeks, from, viewUntil);
    views.push(weeks);
  }
  files["index.html"] = renderHtml(views, from, VIEW_WEEKS);
  return files;
}

function committedFrom(outDir: string): string | undefined {
  const file = join(outDir, "period.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { from: string }).from : undefined;
}

export function runCalendar(options: CalendarOptions = {}): CalendarResult {
  const outDir = options.outDir ?? DEFAULT_CALENDAR_DIR;
  const planDir = options.planDir ?? DEFAULT_PLAN_DIR;
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? new Date();
  const fromText = options.from ?? (options.check ? committedFrom(outDir) : undefined);
  const from = weekStart(fromText ? new Date(`${fromText}T00:00:00Z`) : now);
  if (Number.isNaN(from.getTime())) throw new Error(`--from ${fromText}: not a date (YYYY-MM-DD)`);
  const files = calendarFiles(planDir, from);
  const stale: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const file = join(outDir, name);
    if (options.check) {
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) stale.push(name);
    } else {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(file, text);
    }
  }
  if (options.check) {
    const extra = existsSync(outDir)
      ? readdirSync(outDir).filter((f) => !(f in files) && /\.(ics|md|html|json)$/.test(f))
      : [];
    stale.push(...extra.map((f) => `${f} (no such stack)`));
    if (stale.length)
      log(
        `docs/calendar/ is out of date with plan/ for: ${stale.join(", ")}. Run \`npm run calendar -- --from ${DateTime.fromJSDate(from, { zone: "UTC" }).toISODate()}\` (or \`npm run calendar\` for this week) and commit docs/calendar/.`,
      );
    const age = (now.getTime() - from.getTime()) / 86_400_000;
    if (age > VIEW_WEEKS * 7)
      log(
        `note: the committed calendar starts ${Math.floor(age)} days ago; run \`npm run calendar\` to move it to this week.`,
      );
  } else
    log(
      `wrote ${Object.keys(files).length} files to ${outDir} from ${DateTime.fromJSDate(from, { zone: "UTC" }).toISODate()}`,
    );
  return { code: stale.length ? 1 : 0, stale, files };
}
