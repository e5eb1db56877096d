/**
 * Runs `fn` with this process's 'unhandledRejection' listeners swapped for a collector, so a test can assert that
 * code under test leaves no rejected promise unhandled (the test runner would otherwise report it outside any test).
 */
export async function collectUnhandledRejections<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; rejections: unknown[] }> {
  const saved = process.listeners('unhandledRejection');
  const rejections: unknown[] = [];
  const collect = (reason: unknown) => rejections.push(reason);
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', collect);
  try {
    const value = await fn();
    // Node reports unhandled rejections after the microtask queue drains; give it a macrotask or two.
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    return { value, rejections };
  } finally {
    process.off('unhandledRejection', collect);
    for (const l of saved) process.on('unhandledRejection', l);
  }
}
