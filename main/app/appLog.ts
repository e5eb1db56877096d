/**
 * The app's log: one line per entry (already redacted by the logger) appended to `ferry.log` in the OS's log
 * directory for the app (mode 0600), warnings and errors also on stderr. A log that cannot be written is skipped,
 * never fatal.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { formatLogEntry, type LogSink } from '../../core/common/log';

export const LOG_FILE = 'ferry.log';

export function fileSink(dir: string): { sink: LogSink; close: () => void } {
  let fd: number | null = null;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = openSync(join(dir, LOG_FILE), 'a', 0o600);
  } catch {
    fd = null;
  }
  return {
    sink: (e) => {
      if (fd !== null) writeSync(fd, `${formatLogEntry(e)}\n`);
    },
    close: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

export const stderrSink: LogSink = (e) => {
  if (e.level === 'warn' || e.level === 'error') process.stderr.write(`${formatLogEntry(e)}\n`);
};
