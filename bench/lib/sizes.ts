/** How many of everything the bench sends; `--quick` uses smaller counts. */

/** The bridge's default coalescing window (pipeline.debounceMs), which the bench's bridges run with. */
export const DEFAULT_DEBOUNCE_MS = 50;

export interface Sizes {
  ceilingMessages: number;
  baselineIntents: number;
  /** The two single-intent bursts: the ≥ 10x target must hold for both. */
  singleIntentsSmall: number;
  singleIntents: number;
  steadyRatePerSec: number;
  steadySeconds: number;
  bulkRoutes: number;
  bulkArraySize: number;
  /** Bulk messages waiting for their result before the publisher waits. */
  bulkInFlight: number;
  /** JET requests the direct gRPC reference keeps in flight: the bridge's default per device. */
  jetBulkInFlight: number;
  /** Routes for the bridge against the no-op JET server. */
  noopRoutes: number;
  flaps: number;
}

export const FULL_SIZES: Sizes = {
  ceilingMessages: 50_000,
  baselineIntents: 2_000,
  singleIntentsSmall: 20_000,
  singleIntents: 50_000,
  steadyRatePerSec: 1_000,
  steadySeconds: 10,
  bulkRoutes: 1_000_000,
  bulkArraySize: 1_000,
  bulkInFlight: 16,
  jetBulkInFlight: 4,
  noopRoutes: 500_000,
  flaps: 100,
};

export const QUICK_SIZES: Sizes = {
  ...FULL_SIZES,
  ceilingMessages: 10_000,
  baselineIntents: 500,
  singleIntentsSmall: 4_000,
  singleIntents: 10_000,
  steadySeconds: 3,
  bulkRoutes: 100_000,
  noopRoutes: 100_000,
};
