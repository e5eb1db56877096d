/** Test assertions over the in-process world (vitest only: kept out of the index that bench/ imports). */
import { expect } from 'vitest';
import type { FerryError } from '../../../core/common/errors';
import { settledKinds, type World, type WorldOptions, world } from './world';

/** A world whose connect must fail: the world, the typed error and when (fake ms). */
export async function failing(o: WorldOptions) {
  const w = await world(o);
  const out = await w.connect();
  if (out.ok) throw new Error(`expected a failure, got connected at ${out.at} ms`);
  return { w, error: out.error, at: out.at };
}

/** The failed state matches the rejection, the phase that failed is marked in the timeline, nothing is left. */
export async function expectCleanFailure(w: World, error: FerryError): Promise<void> {
  expect(w.conn.state).toEqual({
    kind: 'failed',
    phase: error.phase,
    code: error.code,
    message: error.message,
    hint: error.hint,
  });
  expect(settledKinds(w.states)).toEqual(['failed']);
  expect(w.conn.phases().some((p) => p.result === 'running')).toBe(false);
  expect(error.hint.length).toBeGreaterThan(0);
  expect(w.clientClock.pending).toBe(0);
  expect(w.carrier.isUp).toBe(false);
  expect(await w.quiesce()).toBe(0);
}
