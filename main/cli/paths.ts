/** Where the CLI finds its profiles, the helper and its own control socket (options > environment > defaults). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SOCKET } from '../helper/config';
import { defaultStorePaths, type StorePaths } from '../service/profiles/paths';
import type { GlobalOptions } from './args';

const none = (v: string | undefined): string | null | undefined => (v === 'none' ? null : v);

export function storePaths(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env): StorePaths {
  const d = defaultStorePaths(process.platform, env);
  const systemDir = none(o.systemDir ?? env.FERRY_SYSTEM_DIR);
  const policyFile = none(o.policyFile ?? env.FERRY_POLICY);
  return {
    userDir: o.configDir ?? env.FERRY_CONFIG_DIR ?? d.userDir,
    systemDir: systemDir === undefined ? d.systemDir : systemDir,
    policyFile: policyFile === undefined ? d.policyFile : policyFile,
  };
}

export function helperSocket(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return o.helperSocket ?? env.FERRY_HELPER_SOCKET ?? DEFAULT_SOCKET;
}

/**
 * The per-user control socket of a running `ferry connect`: $XDG_RUNTIME_DIR/ferry/cli.sock, else
 * /run/user/<uid>/ferry/cli.sock, else /tmp/ferry-<uid>/cli.sock (the directory is created 0700 and must be ours).
 */
export function controlSocket(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = o.control ?? env.FERRY_CONTROL_SOCKET;
  if (explicit) return explicit;
  const uid = process.getuid?.() ?? 0;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'ferry', 'cli.sock');
  if (existsSync(`/run/user/${uid}`)) return join(`/run/user/${uid}`, 'ferry', 'cli.sock');
  return join('/tmp', `ferry-${uid}`, 'cli.sock');
}
