// Why each mutant that survives `npm run mutate` may stay: equivalent to the original, or harmless, in one line each.
// A survivor matches an entry when file and mutator are equal and the entry's texts occur in its original and mutant.

export interface SurvivorReason {
  readonly file: string;
  readonly mutator: string;
  /** Text that occurs in the replaced source (whitespace squashed). */
  readonly original: string;
  /** Text that occurs in the mutant's replacement (whitespace squashed); "" matches any. */
  readonly replacement: string;
  readonly reason: string;
}

export const SURVIVOR_REASONS: readonly SurvivorReason[] = [];
