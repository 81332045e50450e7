// Measures `npm run calendar`'s work on the committed plans (a year of ICS per stack, the views, the runbook matrices)
// and the size of what it writes, so the committed calendar's cost to generate and to review is known.
import { join } from "node:path";
import { calendarFiles } from "../lib/calendar-command";

export function benchCalendar(runs = 3): {
  medianMs: number;
  icsBytes: number;
  largestIcs: { name: string; bytes: number };
  events: number;
  files: number;
} {
  const planDir = join(__dirname, "..", "..", "plan");
  const from = new Date("2026-11-30T00:00:00Z");
  const times: number[] = [];
  let files: Record<string, string> = {};
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    files = calendarFiles(planDir, from);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const ics = Object.entries(files).filter(([n]) => n.endsWith(".ics"));
  const sized = ics.map(([name, text]) => ({ name, bytes: Buffer.byteLength(text) }));
  return {
    medianMs: times[Math.floor(runs / 2)]!,
    icsBytes: sized.reduce((a, s) => a + s.bytes, 0),
    largestIcs: sized.sort((a, b) => b.bytes - a.bytes)[0]!,
    events: ics.reduce((a, [, t]) => a + (t.match(/BEGIN:VEVENT/g)?.length ?? 0), 0),
    files: Object.keys(files).length,
  };
}
