// Where a command's time goes, in named phases (`mkjail build --timings`). A phase measured inside
// another (the flushes inside the swap) is counted in its own phase only, so the phases add up to the
// wall time. Nothing is measured unless a clock is running: the calls cost nothing otherwise.
// Node's global `performance`: loaded the first time it is used, so a run without --timings never loads it.

/** Milliseconds by phase, in the order the phases first ran. */
export type PhaseTimes = Record<string, number>;

export class PhaseClock {
  private readonly times = new Map<string, number>();
  /** Time spent in nested phases, by nesting level, to subtract from the phase around them. */
  private readonly nested: number[] = [];

  /** Adds `ms` to `phase` (for time measured elsewhere: Node's start-up). */
  add(phase: string, ms: number): void {
    this.times.set(phase, (this.times.get(phase) ?? 0) + ms);
  }

  /** Runs `work` and counts its time, less that of the phases measured inside it, to `phase`. */
  measure<T>(phase: string, work: () => T): T {
    const started = performance.now();
    this.nested.push(0);
    const done = () => {
      const inner = this.nested.pop() ?? 0;
      const elapsed = performance.now() - started;
      this.add(phase, elapsed - inner);
      if (this.nested.length > 0) this.nested[this.nested.length - 1] = (this.nested.at(-1) ?? 0) + elapsed;
    };
    let result: T;
    try {
      result = work();
    } catch (error) {
      done();
      throw error;
    }
    if (result instanceof Promise) return result.finally(done) as T;
    done();
    return result;
  }

  /** The phases so far, each rounded to 0.1 ms. */
  snapshot(): PhaseTimes {
    return Object.fromEntries([...this.times].map(([phase, ms]) => [phase, Math.round(ms * 10) / 10]));
  }
}

let running: PhaseClock | undefined;

/** Makes `clock` the one `timed` reports to (undefined: none), until the next call. */
export function startClock(clock: PhaseClock | undefined): void {
  running = clock;
}

/** Runs `work`, counting its time to `phase` on the running clock, when there is one. */
export function timed<T>(phase: string, work: () => T): T {
  return running ? running.measure(phase, work) : work();
}

/** Milliseconds from the process's start until Node began running mkjail's own code. */
export function nodeStartupMs(): number {
  return performance.nodeTiming.bootstrapComplete;
}

/** Milliseconds since the process started. */
export function sinceProcessStart(): number {
  return performance.now();
}

/** One line: `start-up 60.1, imports 80.3, ... (total 540.2 ms; code cache hit)`. */
export function formatTimes(times: PhaseTimes, total: number, codeCache?: string): string {
  const phases = Object.entries(times).map(([phase, ms]) => `${phase} ${ms.toFixed(1)}`);
  return `${phases.join(', ')} (total ${total.toFixed(1)} ms${codeCache === undefined ? '' : `; code cache ${codeCache}`})`;
}

/** How mkjail's code was compiled this run (see cli/start.ts); undefined when it was not run from the bundle. */
let codeCache: string | undefined;

/** Records how the bundle was compiled: 'hit' (from V8's code cache), 'miss', 'rejected' or 'off'. */
export function noteCodeCache(state: string): void {
  codeCache = state;
}

export function codeCacheState(): string | undefined {
  return codeCache;
}
