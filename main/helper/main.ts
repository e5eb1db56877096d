/**
 * The privileged helper process: `ferry-helper [--stdio] [--socket PATH] [--state PATH] [--group G] ...`.
 * Socket mode (the installed service) or stdio mode (started elevated by the app). At start it repairs what a
 * crashed predecessor left in the state file; on SIGTERM/SIGINT it undoes everything and exits.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger, formatLogEntry, type Logger } from '../../core/common/log';
import { type HelperConfig, parseHelperArgs } from './config';
import { fileStore, Journal } from './journal';
import { UnixListener } from './linux/listener';
import { unixSocketStream } from './linux/socketStream';
import { createBackend } from './platform';
import { nodeStream, refuseUnauthorized, serveSession } from './server';
import { HelperService } from './service';

export interface RunningHelper {
  readonly service: HelperService;
  stop(): Promise<void>;
}

export async function startHelper(config: HelperConfig, log: Logger): Promise<RunningHelper> {
  mkdirSync(dirname(config.statePath), { recursive: true, mode: 0o700 });
  const journal = new Journal(fileStore(config.statePath));
  const service = new HelperService(createBackend(process.platform, log), journal, log);
  await service.repair();

  if (config.mode === 'stdio') {
    const done = new Promise<void>((resolve) => {
      serveSession({
        service,
        logger: log,
        peer: { uid: null, gid: null, pid: process.ppid, transport: 'stdio' },
        stream: nodeStream(process.stdin, process.stdout),
        onClosed: () => resolve(),
      });
    });
    log.info('helper serving on stdio');
    return {
      service,
      stop: async () => {
        await service.shutdown();
        await Promise.race([done, Promise.resolve()]);
      },
    };
  }

  if (process.platform !== 'linux')
    throw new Error('the socket listener is only implemented on Linux; start the helper with --stdio');
  const policy = { group: config.group, uids: config.allowUids };
  const listener = UnixListener.listen({
    path: config.socketPath,
    group: config.group,
    logger: log,
    onConnection: ({ socket, fd, peer }) => {
      const stream = unixSocketStream(socket, fd);
      if (refuseUnauthorized(stream, peer, policy, log)) return;
      log.info('client connected', { uid: peer.uid, pid: peer.pid });
      serveSession({
        service,
        logger: log,
        peer: { uid: peer.uid, gid: peer.gid, pid: peer.pid, transport: 'socket' },
        stream,
        onClosed: (s) => log.info('client gone', { uid: peer.uid, pid: peer.pid, ...s }),
      });
    },
  });
  log.info('helper listening', { socket: config.socketPath, group: config.group, state: config.statePath });
  return {
    service,
    stop: async () => {
      await listener.close();
      const s = await service.shutdown();
      log.info('helper stopped; every change undone', { ...s });
    },
  };
}

async function main(): Promise<void> {
  const parsed = parseHelperArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n`);
    process.exit(2);
  }
  const config = parsed.value;
  const log = createLogger({
    level: config.logLevel,
    scope: 'helper',
    sinks: [(e) => process.stderr.write(`${formatLogEntry(e)}\n`)],
  });
  if (process.platform !== 'win32' && process.getuid?.() !== 0)
    log.warn('not running as root: most requests will fail');
  let helper: RunningHelper;
  try {
    helper = await startHelper(config, log);
  } catch (e) {
    log.error('helper failed to start', { error: e });
    process.exit(1);
  }
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { why });
    void helper.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (config.mode === 'stdio') {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('close', () => stop('stdin closed'));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
