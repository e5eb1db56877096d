/**
 * The app's host process for browser tests against the lab: the real FerryService (profile store, settings,
 * secret store, connection manager with the privileged helper and TUN) composed as the Electron main process
 * composes it, served over a unix socket with the remote FerryApi protocol (test/support/remoteApi). Started by
 * AppHost (appHost.ts) inside the client network namespace, so routes, DNS and the TUN device live there.
 *
 *   node --import tsx test/lab/appHost/main.ts --socket S --dir D --helper-socket H --secrets keyring|memory --log-file F
 *
 * Exits on SIGTERM/SIGINT or when stdin closes (the test process went away), after disconnecting every profile.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, formatLogEntry, type LogSink, Redactor } from '../../../core/common/log';
import { HelperClient } from '../../../main/helper/client';
import { FerryService } from '../../../main/service/api/ferryService';
import { SettingsStore } from '../../../main/service/api/settingsStore';
import { ConnectionManager } from '../../../main/service/connection/manager';
import { HelperNetworkHost } from '../../../main/service/connection/networkHost';
import { ProfileStore } from '../../../main/service/profiles/profileStore';
import { KeytarSecretStore } from '../../../main/service/secrets/keytar';
import { MemorySecretStore } from '../../../main/service/secrets/memory';
import type { SecretStore } from '../../../main/service/secrets/types';
import { serveRemoteApi } from '../../support/remoteApi/host';

const { values } = parseArgs({
  options: {
    socket: { type: 'string' },
    dir: { type: 'string' },
    'helper-socket': { type: 'string' },
    secrets: { type: 'string', default: 'keyring' },
    'log-file': { type: 'string' },
  },
  strict: true,
});
const need = (name: string, v: string | undefined): string => {
  if (!v) throw new Error(`app host: --${name} is required`);
  return v;
};
const socketPath = need('socket', values.socket);
const dir = need('dir', values.dir);
const helperSocket = need('helper-socket', values['helper-socket']);
const logFile = need('log-file', values['log-file']);
if (values.secrets !== 'keyring' && values.secrets !== 'memory')
  throw new Error('app host: --secrets must be keyring or memory');

const logFd = openSync(logFile, 'a', 0o600);
const fileSink: LogSink = (e) => writeSync(logFd, `${formatLogEntry(e)}\n`);
const redactor = new Redactor();
const logger = createLogger({ sinks: [fileSink], redactor, scope: 'ferry.app-host' });

/** The keyring must really work before the UI may store secrets in it: a round trip on a probe entry. */
async function keyringStore(): Promise<SecretStore> {
  const store = new KeytarSecretStore();
  const probe = `probe-${process.pid}`;
  await store.set(probe, 'password', 'keyring-probe-value');
  const back = await store.get(probe, 'password');
  await store.delete(probe, 'password');
  if (back.status !== 'found') throw new Error(`app host: the keyring does not answer (${back.status})`);
  return store;
}

async function main(): Promise<void> {
  mkdirSync(join(dir, 'profiles'), { recursive: true, mode: 0o700 });
  const secrets = values.secrets === 'keyring' ? await keyringStore() : new MemorySecretStore();
  const manager = new ConnectionManager({
    secrets,
    network: new HelperNetworkHost({
      connect: (log) => HelperClient.connect({ socketPath: helperSocket, logger: log }),
    }),
    redactor,
    sinks: [fileSink],
    version: 'app-host',
  });
  const service = await FerryService.create({
    store: new ProfileStore({ userDir: join(dir, 'profiles'), systemDir: null, policyFile: null, logger }),
    manager,
    settings: new SettingsStore(join(dir, 'settings.json')),
    version: 'app-host',
  });
  const host = await serveRemoteApi(service, socketPath, {
    onProblem: (p) => logger.warn('refused a line', { code: p.code, why: p.message }),
  });
  logger.info('serving', { socket: socketPath, secrets: secrets.label, pid: process.pid });

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { why });
    await host.close();
    await service.dispose();
    logger.info('stopped');
    closeSync(logFd);
    process.exit(0);
  };
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => void stop(s));
  process.stdin.on('end', () => void stop('stdin closed'));
  process.stdin.on('error', () => void stop('stdin error'));
  process.stdin.resume();
}

main().catch((e: unknown) => {
  logger.error('app host failed to start', { error: e instanceof Error ? e : String(e) });
  process.stderr.write(`app host: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
