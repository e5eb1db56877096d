/** Where profiles live by default (SPEC §3): the user's own directory and IT's system directory. */
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface StorePaths {
  /** The user's profiles, one `<id>.ferry.json` per profile. */
  readonly userDir: string;
  /** Managed profiles dropped by IT (read-only for us); null = none. */
  readonly systemDir: string | null;
  /** IT's policy file; null = no policy. */
  readonly policyFile: string | null;
}

export function defaultSystemDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (platform === 'darwin') return '/Library/Application Support/Ferry/profiles.d';
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Ferry', 'profiles.d');
  return '/etc/ferry/profiles.d';
}

/** The user's configuration directory for Ferry (profiles, settings). */
export function defaultConfigDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Ferry');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Ferry');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ferry');
}

export function defaultStorePaths(
  platform: NodeJS.Platform = process.platform,
  env = process.env,
): StorePaths {
  const systemDir = defaultSystemDir(platform, env);
  return {
    userDir: join(defaultConfigDir(platform, env), 'profiles'),
    systemDir,
    policyFile: join(dirname(systemDir), 'policy.json'),
  };
}
