/**
 * The rollups' fixed-bucket histograms (docs/qoe.md, "Rollups and retention"). Buckets are fixed
 * so that counts add up across hours, scopes and databases, and a percentile comes out the same
 * on SQLite and PostgreSQL: the database stores count arrays; adding and reading them is done here.
 */
export interface HistogramSpec {
  /** Upper bounds of every bucket but the last; the last bucket is above the last bound. */
  readonly bounds: readonly number[];
  /** Whether a value equal to a bound belongs to the bucket it closes (`≤`) or the next (`<`). */
  readonly inclusive: boolean;
  /** The lowest value (the first bucket's lower bound). */
  readonly min: number;
  /** The highest value, when the last bucket is closed (scores: 100); open otherwise. */
  readonly max: number | null;
}

/** Startup time (ms): ≤250, ≤500, ≤750, ≤1000, ≤1500, ≤2000, ≤3000, ≤5000, ≤8000, ≤13000, >13000. */
export const STARTUP_MS: HistogramSpec = {
  bounds: [250, 500, 750, 1000, 1500, 2000, 3000, 5000, 8000, 13000],
  inclusive: true,
  min: 0,
  max: null,
};

/** Score (0–100): <10, <20, … <90, ≤100. */
export const SCORE: HistogramSpec = {
  bounds: [10, 20, 30, 40, 50, 60, 70, 80, 90],
  inclusive: false,
  min: 0,
  max: 100,
};

/** Rebuffer percentage (0–1): 0, ≤1 %, ≤2 %, ≤5 %, ≤10 %, ≤20 %, >20 %. */
export const REBUFFER_PERCENTAGE: HistogramSpec = {
  bounds: [0, 0.01, 0.02, 0.05, 0.1, 0.2],
  inclusive: true,
  min: 0,
  max: null,
};

export const bucketCount = (spec: HistogramSpec): number => spec.bounds.length + 1;

export const emptyCounts = (spec: HistogramSpec): number[] => new Array<number>(bucketCount(spec)).fill(0);

/** The bucket a value falls in (values below the minimum land in the first, above all bounds in the last). */
export function bucketIndex(spec: HistogramSpec, value: number): number {
  const { bounds, inclusive } = spec;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i] as number;
    if (inclusive ? value <= bound : value < bound) return i;
  }
  return bounds.length;
}

/** Counts one value in `counts` (in place). */
export function addValue(spec: HistogramSpec, counts: number[], value: number): void {
  const i = bucketIndex(spec, value);
  counts[i] = (counts[i] ?? 0) + 1;
}

/** Adds `from` into `into` (in place); a shorter array counts as zeros. Returns `into`. */
export function mergeCounts(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
  return into;
}

/**
 * A stored count array (JSON) as exactly `bucketCount(spec)` non-negative counts. Anything
 * malformed counts as empty rather than failing a whole overview.
 */
export function parseCounts(spec: HistogramSpec, json: string): number[] {
  const counts = emptyCounts(spec);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return counts;
  }
  if (!Array.isArray(parsed)) return counts;
  for (let i = 0; i < counts.length; i++) {
    const n = parsed[i];
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) counts[i] = n;
  }
  return counts;
}

/** Lower and upper edge of bucket `i` (the open last bucket has no upper edge). */
function edges(spec: HistogramSpec, i: number): [number, number | null] {
  const lower = i === 0 ? spec.min : (spec.bounds[i - 1] as number);
  const upper = i < spec.bounds.length ? (spec.bounds[i] as number) : spec.max;
  return [lower, upper];
}

/**
 * The `q` quantile (0–1) of the counted values, by linear interpolation inside the bucket that
 * holds the rank `q × total` (as Prometheus's histogram_quantile does); the open last bucket
 * gives its lower bound. Null when nothing was counted.
 */
export function percentile(spec: HistogramSpec, counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    // The first bucket whose cumulative count reaches the rank (empty buckets are skipped, so a
    // rank of 0 lands in the first bucket holding anything).
    if (n > 0 && below + n >= rank) {
      const [lower, upper] = edges(spec, i);
      if (upper === null) return lower;
      return lower + ((upper - lower) * (rank - below)) / n;
    }
    below += n;
  }
  // Unreachable with total > 0; the highest bucket's lower edge to be safe.
  return edges(spec, counts.length - 1)[0];
}

/**
 * Adds stored count arrays written one after another (`[1,0,2][0,0,1]…`, as the database
 * concatenates them) into `counts`, in place. A scanner rather than JSON.parse: a group over
 * months holds thousands of them, and this reads each character once.
 */
export function addConcatenatedCounts(counts: number[], text: string): number[] {
  let index = -1;
  let value = 0;
  let digits = false;
  const flush = () => {
    if (digits && index >= 0 && index < counts.length) counts[index] = (counts[index] ?? 0) + value;
    value = 0;
    digits = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits = true;
    } else if (c === 91 /* [ */) {
      index = 0;
      value = 0;
      digits = false;
    } else if (c === 44 /* , */) {
      flush();
      if (index >= 0) index++;
    } else if (c === 93 /* ] */) {
      flush();
      index = -1;
    }
  }
  return counts;
}
