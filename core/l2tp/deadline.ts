import type { Clock } from '../common/clock';

/** Resolves with the promise's value, or with `fallback` after `ms` on the injected clock, whichever is first. */
export function withDeadline<T>(clock: Clock, promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = clock.setTimeout(() => resolve(fallback), ms);
    void promise.then((v) => {
      clock.clearTimeout(timer);
      resolve(v);
    });
  });
}
