/** The helper's command line: where it listens, who may connect, where the state file lives. Pure parsing. */
import { readFileSync } from 'node:fs';
import type { LogLevel } from '../../core/common/log';
import { err, ok, type Result } from '../../core/common/result';

/**
 * The Windows pipe. Only members of Administrators (and SYSTEM) can create a pipe under
 * `ProtectedPrefix\Administrators`, so a client that finds it there knows an administrator made it — the
 * Windows counterpart of "the socket is owned by root" (wireguard-windows and Tailscale rely on the same).
 */
export const PROTECTED_PIPE_PREFIX = '\\\\.\\pipe\\ProtectedPrefix\\Administrators\\';
export const WINDOWS_PIPE = `${PROTECTED_PIPE_PREFIX}Ferry\\helper`;

/** Where the helper listens by default: the socket the systemd unit / LaunchDaemon use, or the Windows pipe. */
export function defaultEndpoint(platform: NodeJS.Platform): string {
  if (platform === 'win32') return WINDOWS_PIPE;
  return platform === 'darwin' ? '/var/run/ferry/helper.sock' : '/run/ferry/helper.sock';
}

/**
 * The journal. Linux/macOS: next to the socket on the boot-time tmpfs (devices, routes, pf and scutil state
 * do not survive a reboot either). Windows: LocalSystem's profile, which only SYSTEM and Administrators can
 * write (the firewall policy and DNS registry values it undoes do survive a reboot, so the journal must too);
 * not ProgramData, where users may create the directory first.
 */
export function defaultStatePath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32')
    return `${env.SystemRoot ?? 'C:\\Windows'}\\System32\\config\\systemprofile\\AppData\\Local\\Ferry\\state.json`;
  return platform === 'darwin' ? '/var/run/ferry/state.json' : '/run/ferry/state.json';
}

export const DEFAULT_SOCKET = defaultEndpoint(process.platform);
export const DEFAULT_STATE = defaultStatePath(process.platform);
export const DEFAULT_GROUP = 'ferry';

export interface HelperConfig {
  readonly mode: 'socket' | 'stdio';
  /** The local endpoint: a Unix socket path (Linux, macOS) or a named pipe `\\.\pipe\...` (Windows). */
  readonly socketPath: string;
  readonly statePath: string;
  /** gid allowed besides root (socket group); null = root only. */
  readonly group: number | null;
  readonly allowUids: readonly number[];
  readonly logLevel: LogLevel;
  /** Windows: the group (SID) whose members may connect besides SYSTEM and Administrators; absent = INTERACTIVE. */
  readonly groupSid?: string;
  /** Windows: run under the Service Control Manager (`--service`, how the installed service starts it). */
  readonly service?: true;
  /** Also log to this file (appended, 0600). As a Windows service, stderr goes nowhere: default <state dir>\helper.log. */
  readonly logFile?: string;
}

export const USAGE = `usage: ferry-helper [--stdio] [--socket PATH | --pipe \\\\.\\pipe\\NAME] [--state PATH] [--group NAME|GID|SID] [--allow-uid UID]... [--service] [--log-file PATH] [--log-level debug|info|warn|error]`;

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
/** A string SID: S-1-<authority>-<up to 15 sub-authorities>. */
export const isSidString = (s: string) => /^S-1-\d{1,13}(-\d{1,10}){1,15}$/.test(s);
const isPosixAbsolute = (s: string) => s.startsWith('/') && !s.includes('\0');
const isWindowsAbsolute = (s: string) => /^[A-Za-z]:\\[^\0]*$/.test(s);
/** `\\.\pipe\` and a name (the helper only ever serves local clients). */
export const isPipeName = (s: string) => /^\\\\\.\\pipe\\[^\\\0][^\0]{0,200}$/.test(s);

export function parseHelperArgs(
  argv: readonly string[],
  groups: (name: string) => number | null = lookupGroup,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): Result<HelperConfig, string> {
  let mode: HelperConfig['mode'] = 'socket';
  let socketPath = defaultEndpoint(platform);
  let statePath = defaultStatePath(platform, env);
  let group: number | null | undefined;
  let groupSid: string | undefined;
  let service = false;
  let logFile: string | undefined;
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
      case '--service':
        service = true;
        break;
      case '--socket': {
        const v = value();
        if (!v || !isPosixAbsolute(v)) return err('--socket needs an absolute path');
        socketPath = v;
        break;
      }
      case '--pipe': {
        const v = value();
        if (!v || !isPipeName(v)) return err('--pipe needs a pipe name \\\\.\\pipe\\NAME');
        socketPath = v;
        break;
      }
      case '--state':
      case '--log-file': {
        const v = value();
        if (!v || !(isPosixAbsolute(v) || isWindowsAbsolute(v))) return err(`${a} needs an absolute path`);
        if (a === '--state') statePath = v;
        else logFile = v;
        break;
      }
      case '--group': {
        const v = value();
        if (!v) return err('--group needs a name, a gid or (Windows) a SID');
        if (isSidString(v)) {
          groupSid = v;
          break;
        }
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
  if (service && logFile === undefined && isWindowsAbsolute(statePath))
    logFile = `${statePath.slice(0, statePath.lastIndexOf('\\'))}\\helper.log`;
  return ok({
    mode,
    socketPath,
    statePath,
    // Windows has no /etc/group (and C:\etc is any user's to create): its group is a SID (--group).
    group: group !== undefined ? group : platform === 'win32' ? null : groups(DEFAULT_GROUP),
    allowUids,
    logLevel,
    ...(groupSid === undefined ? {} : { groupSid }),
    ...(service ? { service: true as const } : {}),
    ...(logFile === undefined ? {} : { logFile }),
  });
}

/**
 * What the parsed command line cannot do on this OS (null when it fits): a pipe only on Windows, a socket path
 * only elsewhere, `--service` and group SIDs only on Windows. Checked at start, not while parsing, so the
 * installers' command lines can be validated on any OS.
 */
export function platformProblem(c: HelperConfig, platform: NodeJS.Platform): string | null {
  const win = platform === 'win32';
  if (c.mode === 'socket' && win && !isPipeName(c.socketPath))
    return `on Windows the helper listens on a named pipe (--pipe), not ${c.socketPath}`;
  if (c.mode === 'socket' && !win && !isPosixAbsolute(c.socketPath))
    return `on ${platform} the helper listens on a Unix socket (--socket PATH)`;
  if (win ? !isWindowsAbsolute(c.statePath) : !isPosixAbsolute(c.statePath))
    return `--state ${c.statePath} is not an absolute path on ${platform}`;
  if (c.service && !win) return '--service is for Windows (the Service Control Manager)';
  if (c.service && c.mode !== 'socket') return '--service serves the pipe, not stdio';
  if (c.groupSid !== undefined && !win) return '--group SID is for Windows';
  return null;
}
