/**
 * Journaled changes: every change is written to the journal (state file) before the backend makes it, and
 * forgotten once undone. The service decides what may change; this decides how, in what order, and how to undo.
 */
import type { Logger } from '../../core/common/log';
import { describeUndo, type HelperBackend, type PlannedChange, type Route } from './backend';
import { type Journal, type JournalEntry, repairOrder } from './journal';
import { Refusal } from './protocol';
import { addRouteBatch, removeRouteBatch } from './routeOps';

export interface UndoSummary {
  readonly undone: number;
  readonly failed: number;
  readonly ms: number;
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

export function asRefusal(e: unknown): Refusal {
  if (e instanceof Refusal) return e;
  return new Refusal('failed', e instanceof Error ? e.message : String(e));
}

export class Changes {
  constructor(
    private readonly backend: HelperBackend,
    private readonly journal: Journal,
    private readonly log: Logger,
  ) {}

  /** Journal first, then apply; a failed apply is undone (best effort) and forgotten. */
  async applyPlanned(session: string, tun: string, plan: PlannedChange): Promise<void> {
    let entry = this.journal.add(session, tun, plan.undo);
    try {
      const refined = await plan.apply();
      if (refined) entry = this.journal.replace(entry, refined);
    } catch (e) {
      await this.undo([entry]);
      throw asRefusal(e);
    }
  }

  /**
   * Adds routes all-or-nothing. An identical pre-existing route is either accepted (not ours, so not journaled:
   * the server's host route) or refused (a tunnel route that would silently not go through the tunnel).
   */
  async addRoutes(
    session: string,
    tun: string,
    routes: readonly Route[],
    existing: 'accept' | 'refuse',
  ): Promise<void> {
    const entries = this.journal.addMany(
      session,
      tun,
      routes.map((r) => ({ kind: 'route' as const, ...r })),
    );
    let outcomes: Awaited<ReturnType<typeof addRouteBatch>>;
    try {
      outcomes = await addRouteBatch(this.backend, routes);
    } catch (e) {
      this.journal.removeMany(entries);
      throw asRefusal(e);
    }
    const added = entries.filter((_, i) => outcomes[i] === 'added');
    this.journal.removeMany(entries.filter((_, i) => outcomes[i] !== 'added'));
    const failure = outcomes.findIndex(
      (o) => o instanceof Error || (o === 'existed' && existing === 'refuse'),
    );
    if (failure >= 0) {
      await this.undo(added);
      const o = outcomes[failure]!;
      throw new Refusal(
        'failed',
        o instanceof Error ? o.message : `a route to ${routes[failure]!.cidr} already exists`,
      );
    }
  }

  /**
   * Undoes entries newest first and forgets them, also when an undo fails (logged). Consecutive routes go to
   * the backend as one batch.
   */
  async undo(entries: readonly JournalEntry[]): Promise<UndoSummary> {
    const t0 = performance.now();
    let undone = 0;
    let failed = 0;
    const ordered = repairOrder(entries);
    for (let i = 0; i < ordered.length; ) {
      let j = i;
      while (j < ordered.length && ordered[j]!.undo.kind === 'route') j++;
      const group = j > i ? ordered.slice(i, j) : [ordered[i]!];
      const results =
        j > i
          ? await removeRouteBatch(
              this.backend,
              group.map((e) => e.undo as Route),
            ).catch((e: unknown) => group.map(() => asError(e)))
          : [await this.backend.undo(group[0]!.undo).then(() => null, asError)];
      results.forEach((error, k) => {
        if (error === null) undone++;
        else {
          failed++;
          this.log.error('undo failed', { change: describeUndo(group[k]!.undo), error });
        }
      });
      this.journal.removeMany(group);
      i += group.length;
    }
    return { undone, failed, ms: Math.round((performance.now() - t0) * 10) / 10 };
  }
}
