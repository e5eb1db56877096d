/** Where the SoftEther lab keeps its state (under /run/ferry-lab, never in the repo). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_ROOT, labDir } from '../sys';

export const LAB_NAME = 'softether';

/** Executed via `ip netns exec` (private mount namespace): bind-mounts the state dirs, then execs. */
export const INNER_SCRIPT = fileURLToPath(new URL('./inner.sh', import.meta.url));

/** The lab directory, created on first use. */
export const baseDir = (): string => labDir(LAB_NAME);
/** Path of the lab directory without creating it. */
export const baseDirPath = (): string => join(LAB_ROOT, LAB_NAME);
/** Mounted over /var/lib/softether (db), /var/log/softether (log), /run/softether (run); cmd is vpncmd's. */
export const stateDir = (): string => join(baseDirPath(), 'state');
/** The server's stdout, which is where this build writes its log. */
export const serverLogFile = (): string => join(baseDirPath(), 'vpnserver.out');
/** What `down()` and `restartServer()` need to know about the running lab. */
export const runStateFile = (): string => join(baseDirPath(), 'run-state.json');
export const PID_NAME = 'vpnserver';
