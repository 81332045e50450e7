// The calendar model over schedule types a future job may bring: at() once (skipped in a DST gap), rate() summarised,
// a per-minute window as one event per day, whatever the target.
import { stackCalendar } from "../../../scripts/calendar/model";
import type { PlannedResource } from "../../../scripts/lib/record-stack";

const schedule = (name: string, expression: string, timezone: string, arn: string): PlannedResource => ({
  type: "aws:scheduler/schedule:Schedule",
  name,
  parent: null,
  region: "eu-west-2",
  inputs: {
    name,
    scheduleExpression: expression,
    scheduleExpressionTimezone: timezone,
    description: name,
    target: { arn },
  },
});
const FROM = new Date("2027-03-22T00:00:00Z");
const UNTIL = new Date("2027-04-05T00:00:00Z");

it("lists an at() run, flags one in a DST gap as skipped, summarises rate() and folds a window's minutes into a day", () => {
  const cal = stackCalendar(
    "t",
    [
      schedule(
        "drill",
        "at(2027-03-30T09:00:00)",
        "Europe/London",
        "arn:aws:states:eu-west-2:1:stateMachine:drill",
      ),
      schedule("gap", "at(2027-03-28T01:30:00)", "Europe/London", "arn:aws:scheduler:::aws-sdk:sns:publish"),
      schedule("poll", "rate(5 minutes)", "UTC", "arn:aws:lambda:eu-west-2:1:function:poll"),
      schedule(
        "window",
        "cron(* 3 ? * SUN *)",
        "Europe/London",
        "arn:aws:scheduler:::aws-sdk:cloudwatch:putMetricData",
      ),
    ],
    FROM,
    UNTIL,
  );
  expect(
    cal.events.map((e) => [
      e.schedule.name,
      e.schedule.kind,
      e.start?.toISOString() ?? null,
      e.runs,
      e.skipped,
    ]),
  ).toEqual([
    // A skipped run sorts by its local time (01:30), before the window's first run (03:00 BST, 02:00 UTC).
    ["gap", "reminder", null, 1, true],
    ["window", "window", "2027-03-28T02:00:00.000Z", 60, false],
    ["drill", "job", "2027-03-30T08:00:00.000Z", 1, false],
    ["window", "window", "2027-04-04T02:00:00.000Z", 60, false],
  ]);
  expect(cal.summarised.map((s) => [s.schedule.name, s.text])).toEqual([
    ["poll", "rate(5 minutes) (poll): rate, anchored at creation"],
  ]);
});
