/** Connection counters for the diagnostics view: headline numbers, drops by reason, every layer flattened. */
import type { ConnectionCounters } from '../../core/connection/counters';

export interface DropRow {
  readonly layer: string;
  readonly reason: string;
  readonly count: number;
}

/** Numeric (and short string) leaves of a nested record as dotted keys, for the "all counters" table. */
export function flatten(
  value: unknown,
  prefix = '',
  out: [string, string | number][] = [],
): [string, string | number][] {
  if (typeof value === 'number' || typeof value === 'string') {
    out.push([prefix, value]);
    return out;
  }
  if (typeof value === 'boolean') {
    out.push([prefix, value ? 'yes' : 'no']);
    return out;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

const DROP_KEY = /(drop|refused|malformed|replay|invalid|bad|ignored|rejected)/i;

/** Every drop/malformed counter with a non-zero count, largest first. */
export function dropsByReason(c: ConnectionCounters): DropRow[] {
  const rows: DropRow[] = [];
  const add = (layer: string, rec: Readonly<Record<string, unknown>> | undefined): void => {
    for (const [reason, n] of Object.entries(rec ?? {}))
      if (typeof n === 'number' && n > 0) rows.push({ layer, reason, count: n });
  };
  add('IP', c.ip.drops);
  if (c.l2tp) add('L2TP', c.l2tp.malformed);
  if (c.ppp && c.ppp.malformed > 0) rows.push({ layer: 'PPP', reason: 'malformed', count: c.ppp.malformed });
  if (c.ppp && c.ppp.ipDropped > 0)
    rows.push({ layer: 'PPP', reason: 'network layer not open', count: c.ppp.ipDropped });
  // The carrier's stats are free-form (ESP/IKE details): take every non-zero drop-like leaf.
  for (const [key, n] of flatten(c.carrier))
    if (typeof n === 'number' && n > 0 && DROP_KEY.test(key))
      rows.push({ layer: 'IPsec', reason: key, count: n });
  return rows.sort((a, b) => b.count - a.count);
}

/** Finds a numeric counter anywhere in the carrier's stats by a key pattern (e.g. rekeys, DPD). */
export function findCounter(c: ConnectionCounters, pattern: RegExp): number | null {
  let total: number | null = null;
  for (const [k, v] of flatten(c.carrier)) {
    if (typeof v === 'number' && pattern.test(k)) total = (total ?? 0) + v;
  }
  return total;
}
