/** The diagnostics log view's filter: minimum level plus free text over scope, message and fields. */
import type { LogEntry, LogLevel } from '../../core/common/log';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogFilter {
  readonly minLevel: LogLevel;
  readonly text: string;
}

export function fieldsText(e: LogEntry): string {
  return Object.keys(e.fields).length ? JSON.stringify(e.fields) : '';
}

/** The entries that pass, newest last, at most `limit` of them (the newest). */
export function filterLog(entries: readonly LogEntry[], f: LogFilter, limit = 500): LogEntry[] {
  const min = LOG_LEVELS.indexOf(f.minLevel);
  const needle = f.text.trim().toLowerCase();
  const out: LogEntry[] = [];
  for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
    const e = entries[i]!;
    if (LOG_LEVELS.indexOf(e.level) < min) continue;
    if (needle && !`${e.scope} ${e.msg} ${fieldsText(e)}`.toLowerCase().includes(needle)) continue;
    out.push(e);
  }
  return out.reverse();
}
