// The phase clock behind `mkjail build --timings`: nested phases are counted once, so the phases add
// up to the time measured, and nothing is recorded without a running clock.
import { describe, expect, it } from 'vitest';
import { PhaseClock, startClock, timed } from '../src/timings.js';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy wait: the clock measures wall time
  }
}

describe('PhaseClock', () => {
  it('counts a nested phase in its own phase only', () => {
    const clock = new PhaseClock();
    clock.measure('swap', () => {
      spin(5);
      clock.measure('sync', () => spin(20));
    });
    const times = clock.snapshot();
    expect(times.sync).toBeGreaterThanOrEqual(20);
    expect(times.swap).toBeGreaterThanOrEqual(5);
    expect(times.swap).toBeLessThan(20);
  });

  it('measures async work until it settles, and work that throws', async () => {
    const clock = new PhaseClock();
    await clock.measure('recipe load', () => new Promise((done) => setTimeout(done, 15)));
    expect(() => clock.measure('plan', () => { spin(3); throw new Error('bad recipe'); })).toThrow('bad recipe');
    expect(clock.snapshot()['recipe load']).toBeGreaterThanOrEqual(14);
    expect(clock.snapshot().plan).toBeGreaterThanOrEqual(3);
  });

  it('adds to the running clock through timed(), and to none when stopped', () => {
    const clock = new PhaseClock();
    startClock(clock);
    try {
      expect(timed('stage', () => 42)).toBe(42);
    } finally {
      startClock(undefined);
    }
    timed('compare', () => spin(1));
    expect(Object.keys(clock.snapshot())).toEqual(['stage']);
  });
});
