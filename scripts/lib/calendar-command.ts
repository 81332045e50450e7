// The docs generated from the recorded plans, as a function (write, --check) so the CLI and the tests run the same
// code: docs/calendar/<stack>.ics and <stack>.md and one index.html (anchored at the period in period.json), and
// docs/runbooks/<app>.md, each runbook's traceability matrix.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DateTime } from "luxon";
import { renderIcs } from "../calendar/ics";
import { stackCalendar, weekStart } from "../calendar/model";
import { renderHtml, renderMarkdown } from "../calendar/views";
import type { Plan } from "./record-stack";
import { loadTraceability, renderMatrix, TRACEABILITY_DIR } from "./traceability";

const ROOT = join(__dirname, "..", "..");
export const DEFAULT_DOCS_DIR = join(ROOT, "docs");
const DEFAULT_PLAN_DIR = join(ROOT, "plan");

/** The ICS covers a year; the Markdown tables and the HTML page the next five weeks. */
export const ICS_DAYS = 365;
export const VIEW_WEEKS = 5;

export interface CalendarOptions {
  readonly check?: boolean;
  /** First day (a Monday is used: the week that holds it). @default period.json's with --check, else today */
  readonly from?: string;
  readonly planDir?: string;
  /** Where calendar/ and runbooks/ go. @default docs/ */
  readonly outDir?: string;
  readonly traceabilityDir?: string;
  readonly log?: (line: string) => void;
  readonly now?: Date;
}

export interface CalendarResult {
  readonly code: number;
  readonly stale: string[];
  readonly files: Record<string, string>;
}

/** Every generated file, by path under docs/, for the plans in planDir and the period starting `from`. */
export function calendarFiles(
  planDir: string,
  from: Date,
  traceabilityDir = TRACEABILITY_DIR,
): Record<string, string> {
  const stacks = readdirSync(planDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
  const until = DateTime.fromJSDate(from, { zone: "UTC" }).plus({ days: ICS_DAYS }).toJSDate();
  const viewUntil = DateTime.fromJSDate(from, { zone: "UTC" }).plus({ weeks: VIEW_WEEKS }).toJSDate();
  const files: Record<string, string> = {
    "calendar/period.json": `${JSON.stringify({ from: DateTime.fromJSDate(from, { zone: "UTC" }).toISODate(), icsDays: ICS_DAYS, viewWeeks: VIEW_WEEKS }, null, 2)}\n`,
  };
  const views = [];
  for (const stack of stacks) {
    const plan = JSON.parse(readFileSync(join(planDir, `${stack}.json`), "utf8")) as Plan;
    const year = stackCalendar(stack, plan.resources, from, until);
    files[`calendar/${stack}.ics`] = renderIcs(year, from);
    const weeks = {
      ...year,
      events: year.events.filter(
        (e) => (e.start ?? new Date(`${e.local.date}T${e.local.time}Z`)) < viewUntil,
      ),
    };
    files[`calendar/${stack}.md`] = renderMarkdown(weeks, from, viewUntil);
    views.push(weeks);
  }
  files["calendar/index.html"] = renderHtml(views, from, VIEW_WEEKS);
  for (const doc of loadTraceability(traceabilityDir)) {
    const file = join(planDir, `${doc.stack}.json`);
    if (!existsSync(file)) continue; // a plan folder of test stacks only
    files[`runbooks/${doc.app}.md`] = renderMatrix(doc, JSON.parse(readFileSync(file, "utf8")) as Plan);
  }
  return files;
}

function committedFrom(outDir: string): string | undefined {
  const file = join(outDir, "calendar", "period.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { from: string }).from : undefined;
}

export function runCalendar(options: CalendarOptions = {}): CalendarResult {
  const outDir = options.outDir ?? DEFAULT_DOCS_DIR;
  const planDir = options.planDir ?? DEFAULT_PLAN_DIR;
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? new Date();
  const fromText = options.from ?? (options.check ? committedFrom(outDir) : undefined);
  const from = weekStart(fromText ? new Date(`${fromText}T00:00:00Z`) : now);
  if (Number.isNaN(from.getTime())) throw new Error(`--from ${fromText}: not a date (YYYY-MM-DD)`);
  const files = calendarFiles(planDir, from, options.traceabilityDir);
  const stale: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const file = join(outDir, name);
    if (options.check) {
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) stale.push(name);
    } else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }
  if (options.check) {
    const extra = ["calendar", "runbooks"].flatMap((sub) =>
      existsSync(join(outDir, sub))
        ? readdirSync(join(outDir, sub))
            .map((f) => `${sub}/${f}`)
            .filter((f) => !(f in files) && /\.(ics|md|html|json)$/.test(f))
        : [],
    );
    stale.push(...extra.map((f) => `${f} (no such stack)`));
    if (stale.length)
      log(
        `docs/calendar/ or docs/runbooks/ is out of date with plan/ or traceability/ for: ${stale.join(", ")}. Run \`npm run calendar -- --from ${DateTime.fromJSDate(from, { zone: "UTC" }).toISODate()}\` (or \`npm run calendar\` for this week) and commit docs/.`,
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
