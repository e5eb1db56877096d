/**
 * The FerryService the desktop app hosts: the same profile directory, policy and helper socket as the `ferry`
 * CLI (so a profile made in the window connects from a terminal and back; the same FERRY_* overrides apply),
 * secrets in the OS keyring, tunnels through the privileged helper, settings next to the profiles.
 */
import { dirname, join } from 'node:path';
import type { Logger, LogSink, Redactor } from '../../core/common/log';
import { helperSocket, storePaths } from '../cli/paths';
import { HelperClient } from '../helper/client';
import { FerryService } from '../service/api/ferryService';
import { SettingsStore } from '../service/api/settingsStore';
import { ConnectionManager } from '../service/connection/manager';
import { HelperNetworkHost, type NetworkHost } from '../service/connection/networkHost';
import type { StorePaths } from '../service/profiles/paths';
import { ProfileStore } from '../service/profiles/profileStore';
import { KeytarSecretStore } from '../service/secrets/keytar';
import type { SecretStore } from '../service/secrets/types';

export interface AppServiceOptions {
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Where connection logs go besides the UI (the app's log file). Entries arrive redacted. */
  readonly sinks?: readonly LogSink[];
  readonly redactor?: Redactor;
  /** Default: the OS keyring through keytar. */
  readonly secrets?: SecretStore;
  /** Default: the privileged helper at FERRY_HELPER_SOCKET or its standard socket. */
  readonly network?: NetworkHost | null;
}

export interface AppService {
  readonly service: FerryService;
  readonly paths: StorePaths;
  readonly settingsFile: string;
  readonly helperSocket: string;
}

export async function createAppService(o: AppServiceOptions): Promise<AppService> {
  const global = { json: false, keyring: true };
  const paths = storePaths(global, o.env);
  const socketPath = helperSocket(global, o.env);
  const settingsFile = join(dirname(paths.userDir), 'settings.json');
  const store = new ProfileStore({ ...paths, logger: o.logger });
  const manager = new ConnectionManager({
    secrets: o.secrets ?? new KeytarSecretStore(),
    network:
      o.network !== undefined
        ? o.network
        : new HelperNetworkHost({ connect: (logger) => HelperClient.connect({ socketPath, logger }) }),
    version: o.version,
    ...(o.sinks ? { sinks: o.sinks } : {}),
    ...(o.redactor ? { redactor: o.redactor } : {}),
  });
  const service = await FerryService.create({
    store,
    manager,
    settings: new SettingsStore(settingsFile),
    version: o.version,
  });
  return { service, paths, settingsFile, helperSocket: socketPath };
}
