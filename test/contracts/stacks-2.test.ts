// The contracts of every third stack (the shards run in parallel); see define-contracts.ts.
import { defineContracts } from "./define-contracts";

defineContracts(2, 3);
