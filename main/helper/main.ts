/**
 * The privileged helper process: `ferry-helper [--stdio] [--socket PATH | --pipe NAME] [--state PATH] ...`.
 * Listening mode (the installed service: a Unix socket on Linux and macOS, a named pipe on Windows, where
 * `--service` also speaks the Service Control Manager protocol) or stdio mode (started elevated by the app).
 * At start it repairs what a crashed predecessor left in the state file; on SIGTERM/SIGINT (or the SCM's stop)
 * it undoes everything and exits. Every transport feeds the same session server, limits and refusals.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger, formatLogEntry, type Logger, type LogSink } from '../../core/common/log';
import { type HelperConfig, parseHelperArgs, platformProblem } from './config';
import { DarwinListener } from './darwin/listener';
import { fileStore, Journal } from './journal';
import { UnixListener } from './linux/listener';
import { unixSocketStream } from './linux/socketStream';
import type { PeerCredentials, PeerPolicy } from './peerAuth';
import { createBackend } from './platform';
import { nodeStream, refuseUnauthorized, type SessionStream, serveSession } from './server';
import { HelperService } from './service';
import { type PipeClient, type PipePolicy, refusePipeClient } from './win32/pipeAuth';
import { PipeListener } from './win32/pipeListener';
import { koffiScmApi, runService, WINDOWS_SERVICE_NAME } from './win32/serviceControl';

export interface RunningHelper {
  readonly service: HelperService;
  stop(): Promise<void>;
}

export async function startHelper(config: HelperConfig, log: Logger): Promise<RunningHelper> {
  const problem = platformProblem(config, process.platform);
  if (problem) throw new Error(problem);
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

  const listener = listen(config, service, log);
  log.info('helper listening', {
    endpoint: config.socketPath,
    group: config.groupSid ?? config.group,
    state: config.statePath,
  });
  return {
    service,
    stop: async () => {
      await listener.close();
      const s = await service.shutdown();
      log.info('helper stopped; every change undone', { ...s });
    },
  };
}

/** Serves one Unix-socket connection (Linux, macOS) whose credentials the listener read from its fd. */
export function serveUnixConnection(
  stream: SessionStream,
  peer: PeerCredentials,
  ctx: { readonly service: HelperService; readonly policy: PeerPolicy; readonly log: Logger },
): void {
  const { service, log } = ctx;
  if (refuseUnauthorized(stream, peer, ctx.policy, log)) return;
  log.info('client connected', { uid: peer.uid, pid: peer.pid });
  serveSession({
    service,
    logger: log,
    peer: { uid: peer.uid, gid: peer.gid, pid: peer.pid, transport: 'socket' },
    stream,
    onClosed: (s) => log.info('client gone', { uid: peer.uid, pid: peer.pid, ...s }),
  });
}

/** Serves one pipe connection (Windows) whose client token the listener read. */
export function servePipeConnection(
  stream: SessionStream,
  client: PipeClient,
  ctx: { readonly service: HelperService; readonly policy: PipePolicy; readonly log: Logger },
): void {
  const { service, log } = ctx;
  if (refusePipeClient(stream, client, ctx.policy, log)) return;
  const who = { sid: client.user, pid: client.pid, session: client.sessionId };
  log.info('client connected', who);
  serveSession({
    service,
    logger: log,
    // Windows has no uid: devices are not owned by a user there (no fd passing, no TUNSETOWNER).
    peer: { uid: null, gid: null, pid: client.pid, transport: 'socket' },
    stream,
    onClosed: (s) => log.info('client gone', { ...who, ...s }),
  });
}

/** The local endpoint of this OS; every connection goes to the same session server. */
function listen(config: HelperConfig, service: HelperService, log: Logger): { close(): Promise<void> } {
  const unix = { service, log, policy: { group: config.group, uids: config.allowUids } };
  switch (process.platform) {
    case 'linux':
      return UnixListener.listen({
        path: config.socketPath,
        group: config.group,
        logger: log,
        onConnection: ({ socket, fd, peer }) => serveUnixConnection(unixSocketStream(socket, fd), peer, unix),
      });
    case 'darwin':
      return DarwinListener.listen({
        path: config.socketPath,
        group: config.group,
        logger: log,
        onConnection: ({ socket, peer }) => serveUnixConnection(nodeStream(socket, socket), peer, unix),
      });
    case 'win32': {
      const pipe = { service, log, policy: { group: config.groupSid ?? null } };
      return PipeListener.listen({
        name: config.socketPath,
        groupSid: pipe.policy.group,
        logger: log,
        onConnection: ({ stream, client }) => servePipeConnection(stream, client, pipe),
      });
    }
    default:
      throw new Error(`no listener for ${process.platform}; start the helper with --stdio`);
  }
}

function logSinks(config: HelperConfig): LogSink[] {
  const sinks: LogSink[] = [(e) => process.stderr.write(`${formatLogEntry(e)}\n`)];
  if (config.logFile) {
    mkdirSync(dirname(config.logFile), { recursive: true, mode: 0o700 });
    const file = createWriteStream(config.logFile, { flags: 'a', mode: 0o600 });
    file.on('error', () => undefined);
    sinks.push((e) => file.write(`${formatLogEntry(e)}\n`));
  }
  return sinks;
}

async function main(): Promise<void> {
  const parsed = parseHelperArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n`);
    process.exit(2);
  }
  const config = parsed.value;
  const log = createLogger({ level: config.logLevel, scope: 'helper', sinks: logSinks(config) });
  if (process.platform !== 'win32' && process.getuid?.() !== 0)
    log.warn('not running as root: most requests will fail');
  if (config.service) {
    // The SCM starts and stops us; SIGTERM/SIGINT do not exist for a service.
    runService({
      scm: koffiScmApi(),
      name: WINDOWS_SERVICE_NAME,
      logger: log,
      start: () => startHelper(config, log),
      exit: (code) => process.exit(code),
    });
    return;
  }
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
