// The contracts of every stack with an RDS database, with its snapshots copied to a DR region (see variants.ts).
import { defineContracts } from "./define-contracts";
import { drVariants } from "./variants";

const variants = drVariants();
it("has a DR variant of at least one stack (else the DR path goes unproven)", () => {
  expect(variants.length).toBeGreaterThan(0);
});
defineContracts(variants);
