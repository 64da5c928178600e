import { MultiBar, type SingleBar } from 'cli-progress';

/**
 * One progress bar per phase of a backup or a restore, on stderr (stdout keeps the summary for
 * scripts). A phase whose total is unknown (0) shows a running count instead of a bar.
 */
export interface PhaseUpdate {
  phase: string;
  done: number;
  total: number;
  unit: 'rows' | 'objects' | 'bytes' | 'files';
}

export class PhaseBars {
  readonly #multi: MultiBar;
  readonly #bars = new Map<string, SingleBar>();
  #stopped = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#multi = new MultiBar({
      hideCursor: true,
      stream,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      clearOnComplete: false,
    });
  }

  update(p: PhaseUpdate): void {
    const counted = p.total <= 0;
    // Not `value`/`total`: cli-progress fills those names itself.
    const shown = {
      count: p.unit === 'bytes' ? bytes(p.done) : p.done.toLocaleString('en-US'),
      of: amount(p.total, p.unit),
    };
    let bar = this.#bars.get(p.phase);
    if (!bar) {
      const name = p.phase.padEnd(9);
      bar = this.#multi.create(
        Math.max(1, p.total),
        0,
        shown,
        counted
          ? { format: ` ${name} {count}${p.unit === 'bytes' ? '' : ` ${p.unit}`}` }
          : { format: ` ${name} |{bar}| {percentage}% · {count}/{of} · ETA {eta_formatted}` },
      );
      this.#bars.set(p.phase, bar);
    }
    if (!counted) bar.setTotal(Math.max(p.total, p.done, 1));
    bar.update(counted ? 0 : p.done, shown);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#multi.stop();
  }
}

/** A count with its unit, bytes in KB/MB/GB. */
export function amount(n: number, unit: PhaseUpdate['unit']): string {
  if (unit !== 'bytes') return `${n.toLocaleString('en-US')} ${unit}`;
  return bytes(n);
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
