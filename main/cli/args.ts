/** The `ferry` command line, parsed without side effects. Secrets are never accepted as arguments (except --otp). */
import type { LogLevel } from '../../core/common/log';
import { err, ok, type Result } from '../../core/common/result';

export interface GlobalOptions {
  readonly json: boolean;
  /** The user's profile directory (default ~/.config/ferry/profiles; env FERRY_CONFIG_DIR). */
  readonly configDir?: string;
  /** Managed profiles (default /etc/ferry/profiles.d; env FERRY_SYSTEM_DIR; "none" for none). */
  readonly systemDir?: string;
  /** Policy file (default /etc/ferry/policy.json; env FERRY_POLICY; "none" for none). */
  readonly policyFile?: string;
  /** The helper's socket (default /run/ferry/helper.sock; env FERRY_HELPER_SOCKET). */
  readonly helperSocket?: string;
  /** This user's control socket (default $XDG_RUNTIME_DIR/ferry/cli.sock; env FERRY_CONTROL_SOCKET). */
  readonly control?: string;
  readonly logLevel?: LogLevel;
  readonly logFile?: string;
  /** Also look for secrets in the OS keyring (where the desktop app stores them). */
  readonly keyring: boolean;
}

export type Command =
  | {
      readonly cmd: 'connect';
      readonly profile: string;
      readonly otp?: string;
      readonly background: boolean;
      /** Internal: the detached child of `--background` (secrets arrive on stdin). */
      readonly daemonChild: boolean;
    }
  | { readonly cmd: 'disconnect' }
  | { readonly cmd: 'status' }
  | { readonly cmd: 'diag'; readonly output?: string }
  | { readonly cmd: 'profiles' }
  | { readonly cmd: 'import'; readonly file: string }
  | { readonly cmd: 'version' }
  | { readonly cmd: 'help'; readonly topic?: string };

export interface Invocation {
  readonly command: Command;
  readonly options: GlobalOptions;
}

export const COMMANDS = [
  'connect',
  'disconnect',
  'status',
  'diag',
  'profiles',
  'import',
  'version',
  'help',
] as const;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const VALUE_OPTIONS: Record<string, keyof GlobalOptions | 'otp' | 'output'> = {
  '--config-dir': 'configDir',
  '--system-dir': 'systemDir',
  '--policy': 'policyFile',
  '--helper-socket': 'helperSocket',
  '--control': 'control',
  '--log-level': 'logLevel',
  '--log-file': 'logFile',
  '--otp': 'otp',
  '--output': 'output',
  '-o': 'output',
};

/** Options that only make sense for one command. */
const ONLY_FOR: Record<string, Command['cmd']> = { otp: 'connect', output: 'diag' };

/** Parses argv (without node and the script). Errors are usage errors (exit code 2). */
export function parseArgs(argv: readonly string[]): Result<Invocation, string> {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      const key = VALUE_OPTIONS[name];
      if (key) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || v === '') return err(`${name} needs a value`);
        values[key] = v;
        continue;
      }
      if (eq > 0) return err(`${name} takes no value`);
      if (
        [
          '--json',
          '--background',
          '--daemon-child',
          '--keyring',
          '--help',
          '-h',
          '--version',
          '-V',
          '--verbose',
          '-v',
        ].includes(name)
      ) {
        flags.add(name);
        continue;
      }
      return err(`unknown option ${name}`);
    }
    positional.push(a);
  }
  if (values.logLevel !== undefined && !(LEVELS as readonly string[]).includes(values.logLevel))
    return err('--log-level: debug, info, warn or error');
  if (values.otp !== undefined && !/^\d{6,8}$/.test(values.otp)) return err('--otp: 6 to 8 digits');
  const options: GlobalOptions = {
    json: flags.has('--json'),
    keyring: flags.has('--keyring'),
    ...pick(values, ['configDir', 'systemDir', 'policyFile', 'helperSocket', 'control', 'logFile']),
    ...(values.logLevel
      ? { logLevel: values.logLevel as LogLevel }
      : flags.has('--verbose') || flags.has('-v')
        ? { logLevel: 'debug' as const }
        : {}),
  };
  const [name, ...rest] = positional;
  if (flags.has('--version') || flags.has('-V') || name === 'version')
    return ok({ command: { cmd: 'version' }, options });
  if (!name || name === 'help' || flags.has('--help') || flags.has('-h'))
    return ok({
      command: {
        cmd: 'help',
        ...((name === 'help' ? rest[0] : name) ? { topic: (name === 'help' ? rest[0] : name)! } : {}),
      },
      options,
    });
  if (!(COMMANDS as readonly string[]).includes(name)) return err(`unknown command ${name}`);
  for (const [key, cmd] of Object.entries(ONLY_FOR))
    if (values[key] !== undefined && name !== cmd) return err(`--${key} is only for ferry ${cmd}`);
  if ((flags.has('--background') || flags.has('--daemon-child')) && name !== 'connect')
    return err('--background is only for ferry connect');
  const arity = (n: number, what: string): string | null =>
    rest.length === n
      ? null
      : rest.length < n
        ? `ferry ${name} needs ${what}`
        : `unexpected argument ${rest[n]}`;
  switch (name) {
    case 'connect': {
      const e = arity(1, 'a profile file or name');
      if (e) return err(e);
      return ok({
        command: {
          cmd: 'connect',
          profile: rest[0]!,
          ...(values.otp ? { otp: values.otp } : {}),
          background: flags.has('--background'),
          daemonChild: flags.has('--daemon-child'),
        },
        options,
      });
    }
    case 'import': {
      const e = arity(1, 'a .ferry.json file');
      if (e) return err(e);
      return ok({ command: { cmd: 'import', file: rest[0]! }, options });
    }
    case 'diag': {
      const e = arity(0, '');
      if (e) return err(e);
      return ok({ command: { cmd: 'diag', ...(values.output ? { output: values.output } : {}) }, options });
    }
    default: {
      const e = arity(0, '');
      if (e) return err(e);
      return ok({ command: { cmd: name as 'disconnect' | 'status' | 'profiles' }, options });
    }
  }
}

function pick(values: Record<string, string>, keys: (keyof GlobalOptions)[]): Partial<GlobalOptions> {
  const out: Record<string, string> = {};
  for (const k of keys) if (values[k] !== undefined) out[k] = values[k];
  return out as Partial<GlobalOptions>;
}

export const USAGE = `usage: ferry <command> [options]

commands:
  connect <profile file or name> [--otp CODE] [--background]
                      bring a tunnel up and keep it up (Ctrl-C or 'ferry disconnect' ends it)
  disconnect          end the running 'ferry connect' (routes and DNS restored)
  status              state, phases, counters, addresses of the running connection
  diag [-o FILE]      redacted diagnostics bundle of the running connection
  profiles            list profiles (yours and managed), with problems of invalid files
  import <file>       validate a .ferry.json file and add it to your profiles
  version             print the version

options:
  --json              machine-readable output
  --keyring           also read secrets from the OS keyring (as stored by the Ferry app)
  --config-dir DIR    your profiles (default ~/.config/ferry/profiles, env FERRY_CONFIG_DIR)
  --system-dir DIR    managed profiles (default /etc/ferry/profiles.d, env FERRY_SYSTEM_DIR, 'none')
  --policy FILE       managed policy (default /etc/ferry/policy.json, env FERRY_POLICY, 'none')
  --helper-socket P   privileged helper socket (default /run/ferry/helper.sock, env FERRY_HELPER_SOCKET)
  --control PATH      control socket of 'ferry connect' (default $XDG_RUNTIME_DIR/ferry/cli.sock,
                      env FERRY_CONTROL_SOCKET)
  --log-level LEVEL   debug, info, warn (default), error; -v is --log-level debug
  --log-file FILE     write the full (redacted) log there

secrets: FERRY_PSK, FERRY_PASSWORD (and FERRY_OTP) from the environment, else asked on the terminal.
exit codes: see docs/CLI.md (2 usage, 3 profile, 4 secrets, 10 IKE, 11 quick mode, 12 L2TP, 13 PPP auth,
            14 PPP, 15 routes/DNS/helper, 20 lost after connect, 130 interrupted)`;
