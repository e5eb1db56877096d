/** The helper's command line: where it listens, who may connect, where the state file lives. Pure parsing. */
import { readFileSync } from 'node:fs';
import type { LogLevel } from '../../core/common/log';
import { err, ok, type Result } from '../../core/common/result';

export const DEFAULT_SOCKET = '/run/ferry/helper.sock';
export const DEFAULT_STATE = '/run/ferry/state.json';
export const DEFAULT_GROUP = 'ferry';

export interface HelperConfig {
  readonly mode: 'socket' | 'stdio';
  readonly socketPath: string;
  readonly statePath: string;
  /** gid allowed besides root (socket group); null = root only. */
  readonly group: number | null;
  readonly allowUids: readonly number[];
  readonly logLevel: LogLevel;
}

export const USAGE = `usage: ferry-helper [--stdio] [--socket PATH] [--state PATH] [--group NAME|GID] [--allow-uid UID]... [--log-level debug|info|warn|error]`;

/** `name:x:gid:members` lines of /etc/group. */
export function lookupGroup(name: string, groupFile = '/etc/group'): number | null {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

const isId = (s: string) => /^\d{1,10}$/.test(s) && Number(s) < 2 ** 32 - 1;

export function parseHelperArgs(
  argv: readonly string[],
  groups: (name: string) => number | null = lookupGroup,
): Result<HelperConfig, string> {
  let mode: HelperConfig['mode'] = 'socket';
  let socketPath = DEFAULT_SOCKET;
  let statePath = DEFAULT_STATE;
  let group: number | null | undefined;
  const allowUids: number[] = [];
  let logLevel: LogLevel = 'info';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | null => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return null;
      i++;
      return v;
    };
    switch (a) {
      case '--stdio':
        mode = 'stdio';
        break;
      case '--socket':
      case '--state': {
        const v = value();
        if (!v?.startsWith('/')) return err(`${a} needs an absolute path`);
        if (a === '--socket') socketPath = v;
        else statePath = v;
        break;
      }
      case '--group': {
        const v = value();
        if (!v) return err('--group needs a name or gid');
        const gid = isId(v) ? Number(v) : groups(v);
        if (gid === null) return err(`unknown group ${v}`);
        group = gid;
        break;
      }
      case '--allow-uid': {
        const v = value();
        if (!v || !isId(v)) return err('--allow-uid needs a numeric uid');
        allowUids.push(Number(v));
        break;
      }
      case '--log-level': {
        const v = value();
        if (v !== 'debug' && v !== 'info' && v !== 'warn' && v !== 'error')
          return err('--log-level: debug, info, warn or error');
        logLevel = v;
        break;
      }
      default:
        return err(`unknown argument ${a}\n${USAGE}`);
    }
  }
  return ok({
    mode,
    socketPath,
    statePath,
    group: group === undefined ? groups(DEFAULT_GROUP) : group,
    allowUids,
    logLevel,
  });
}
