/** Picks the backend for this OS with its real dependencies. */
import { dirname, join } from 'node:path';
import type { Logger } from '../../core/common/log';
import type { HelperBackend } from './backend';
import { DarwinBackend } from './darwin/backend';
import { DARWIN_PROGRAMS } from './darwin/commands';
import { koffiDarwinSys } from './darwin/utun';
import { systemRunner } from './exec';
import { LinuxBackend } from './linux/backend';
import { LINUX_PROGRAMS } from './linux/commands';
import { realFiles, resolvedRunning } from './linux/dns';
import { koffiTunSyscalls } from './linux/tunDevice';
import { Win32Backend } from './win32/backend';
import { WIN32_PROGRAMS } from './win32/commands';
import { koffiWintunApi } from './win32/wintun';

export function createBackend(platform: NodeJS.Platform, logger: Logger): HelperBackend {
  switch (platform) {
    case 'linux':
      return new LinuxBackend({
        runner: systemRunner(LINUX_PROGRAMS),
        tun: koffiTunSyscalls(),
        files: realFiles,
        resolved: resolvedRunning,
        logger,
      });
    case 'darwin':
      return new DarwinBackend({ runner: systemRunner(DARWIN_PROGRAMS), sys: koffiDarwinSys(), logger });
    case 'win32':
      return new Win32Backend({
        runner: systemRunner(WIN32_PROGRAMS),
        wintun: koffiWintunApi(join(dirname(process.execPath), 'wintun.dll')),
      });
    default:
      throw new Error(`no helper backend for ${platform}`);
  }
}
