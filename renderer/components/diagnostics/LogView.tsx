/** The log, filterable by minimum level and text; newest at the bottom. */
import { useDeferredValue, useId, useState } from 'react';
import type { LogEntry, LogLevel } from '../../../core/common/log';
import { formatTime } from '../../logic/format';
import { fieldsText, filterLog, LOG_LEVELS } from '../../logic/logFilter';

const LEVEL_LABELS: Readonly<Record<LogLevel, string>> = {
  debug: 'Debug and above',
  info: 'Info and above',
  warn: 'Warnings and errors',
  error: 'Errors only',
};

/** Stable keys for log lines (entries have no id): content plus an occurrence count for exact repeats. */
function keyed(entries: readonly LogEntry[]): [string, LogEntry][] {
  const seen = new Map<string, number>();
  return entries.map((e) => {
    const base = `${e.ts}|${e.level}|${e.scope}|${e.msg}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return [`${base}|${n}`, e];
  });
}

export function LogView({ entries }: { entries: readonly LogEntry[] }) {
  const [minLevel, setMinLevel] = useState<LogLevel>('info');
  const [text, setText] = useState('');
  const deferredText = useDeferredValue(text);
  const id = useId();
  const shown = filterLog(entries, { minLevel, text: deferredText });
  return (
    <section className="card log-card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Log</h2>
      <div className="log-filters">
        <div className="field">
          <label htmlFor={`${id}-level`}>Level</label>
          <select
            id={`${id}-level`}
            value={minLevel}
            onChange={(e) => setMinLevel(e.target.value as LogLevel)}
          >
            {LOG_LEVELS.map((l) => (
              <option key={l} value={l}>
                {LEVEL_LABELS[l]}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor={`${id}-text`}>Filter</label>
          <input
            id={`${id}-text`}
            type="search"
            value={text}
            placeholder="Text in scope, message or fields"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
      </div>
      <p className="muted log-count" aria-live="polite" data-testid="log-count">
        Showing {shown.length} of {entries.length} entries
      </p>
      <ol className="log-lines" aria-label="Log entries" data-testid="log-lines">
        {keyed(shown).map(([key, e]) => (
          <li key={key} className={`log-line ${e.level}`}>
            <time>{formatTime(e.ts)}</time> <span className="log-level">{e.level}</span>{' '}
            <span className="log-scope">{e.scope}</span> <span className="log-msg">{e.msg}</span>
            {Object.keys(e.fields).length ? <span className="log-fields"> {fieldsText(e)}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
