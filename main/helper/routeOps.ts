/** Groups of routes through a backend: one batch where the backend can (Linux `ip -batch`), else one by one. */
import type { HelperBackend, Route, RouteOutcome } from './backend';

export async function addRouteBatch(
  backend: HelperBackend,
  routes: readonly Route[],
): Promise<RouteOutcome[]> {
  if (backend.addRoutes) return backend.addRoutes(routes);
  const out: RouteOutcome[] = [];
  for (const r of routes) {
    try {
      out.push(await backend.addRoute(r));
    } catch (e) {
      out.push(e instanceof Error ? e : new Error(String(e)));
    }
  }
  return out;
}

export async function removeRouteBatch(
  backend: HelperBackend,
  routes: readonly Route[],
): Promise<(Error | null)[]> {
  if (backend.removeRoutes) return backend.removeRoutes(routes);
  const out: (Error | null)[] = [];
  for (const r of routes) {
    try {
      await backend.undo({ kind: 'route', ...r });
      out.push(null);
    } catch (e) {
      out.push(e instanceof Error ? e : new Error(String(e)));
    }
  }
  return out;
}
