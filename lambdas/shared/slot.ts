// Slot times that lie in the future. A scheduled run's slot is EventBridge Scheduler's <aws.scheduler.scheduled-time>,
// never later than the clock; a manual run types its slot by hand, and a date typed in the future would name a
// dump (or snapshot) as the newest until that date.
import { InvalidInputError } from "./job";

/**
 * How far ahead of the job's clock a slot may lie. The scheduler never fires before its slot, so this only absorbs
 * clock skew and a hand-typed "now" rounded up to the next minute; anything further ahead was typed by mistake.
 */
export const MAX_SLOT_AHEAD_MS = 5 * 60_000;

/** True when the slot (ms since the epoch) lies more than MAX_SLOT_AHEAD_MS after `now`. */
export function isSlotAhead(slotMs: number, now: Date): boolean {
  return slotMs - now.getTime() > MAX_SLOT_AHEAD_MS;
}

/** "3d 4h 5m": how far ahead a slot lies, for error messages. */
export function aheadBy(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const parts = [
    [Math.floor(minutes / 1440), "d"],
    [Math.floor((minutes % 1440) / 60), "h"],
    [minutes % 60, "m"],
  ] as const;
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, u]) => `${n}${u}`)
      .join(" ") || "0m"
  );
}

/**
 * Refuses an event whose `scheduledTime` lies more than MAX_SLOT_AHEAD_MS ahead of `now`, with an InvalidInputError
 * in the same shape as the event's other validation errors, naming the field; `consequence` says what it would break.
 */
export function refuseFutureSlot(scheduledTime: string, now: Date, consequence: string): void {
  const slot = Date.parse(scheduledTime);
  if (!isSlotAhead(slot, now)) return;
  throw new InvalidInputError(
    `event is invalid:\n  scheduledTime: ${scheduledTime} is ${aheadBy(slot - now.getTime())} ahead of the clock ` +
      `(${now.toISOString()}); a slot more than ${MAX_SLOT_AHEAD_MS / 60_000} minutes in the future is refused: ` +
      `${consequence}. For a run by hand use the current time, e.g. $(date -u +%Y-%m-%dT%H:%M:%SZ)`,
  );
}
