/**
 * One client session over a byte stream (Unix socket or stdio): framing, validation, dispatch, responses in
 * request order, typed refusals for everything else, and the session's changes undone when the stream ends.
 */
import type { Logger } from '../../core/common/log';
import { LineFramer } from './framing';
import { authorizePeer, type PeerCredentials, type PeerPolicy } from './peerAuth';
import {
  encodeResponse,
  MAX_MESSAGE_BYTES,
  parseRequest,
  Refusal,
  type RefusalCode,
  type RequestId,
  type Response,
} from './protocol';
import type { HelperService, PeerInfo, UndoSummary } from './service';

export interface SessionStream {
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once when the peer is gone (end, close or error). */
  onGone(fn: () => void): void;
  write(text: string): void;
  pause(): void;
  resume(): void;
  end(): void;
  /** Sends `text` with a file descriptor attached (Unix sockets only). */
  sendWithFd?(text: string, fd: number): Promise<void>;
  /** Closes a descriptor of ours after it was passed. */
  closeFd?(fd: number): void;
}

export interface SessionOptions {
  readonly service: HelperService;
  readonly logger: Logger;
  readonly peer: PeerInfo;
  readonly stream: SessionStream;
  /** Told when the session's changes have been undone after the peer went away. */
  readonly onClosed?: (summary: UndoSummary) => void;
}

/** Requests waiting behind the one being handled before the stream is paused (backpressure). */
const MAX_QUEUED = 32;
/** Refusals one session may collect before it is dropped (a flood, not a confused client). */
const MAX_REFUSALS = 10_000;

export function serveSession(opts: SessionOptions): void {
  const { service, stream, peer } = opts;
  const log = opts.logger;
  const session = service.openSession(peer);
  const framer = new LineFramer(MAX_MESSAGE_BYTES);
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;
  let refusals = 0;
  let gone = false;
  const who = { session, uid: peer.uid, pid: peer.pid, transport: peer.transport };

  const send = (r: Response) => {
    if (!gone) stream.write(encodeResponse(r));
  };
  const refuse = (id: RequestId | null, code: RefusalCode, message: string, type?: string) => {
    refusals++;
    log.warn('request refused', { ...who, id, type: type ?? null, code, message });
    send({ id, ok: false, error: { code, message } });
    if (refusals >= MAX_REFUSALS) {
      log.warn('too many refused requests; dropping the session', who);
      stream.end();
    }
  };

  const handleLine = async (line: Buffer): Promise<void> => {
    if (gone) return; // the client left: do not apply what it queued, only undo
    const parsed = parseRequest(line);
    if (!parsed.ok)
      return refuse(parsed.error.id, parsed.error.code, parsed.error.message, parsed.error.type);
    const req = parsed.value;
    try {
      if (req.type === 'openTunFd') {
        if (!stream.sendWithFd)
          throw new Refusal('invalid-argument', 'this transport cannot pass descriptors');
        const fd = await service.tunFd(session, req.args.name, req.args.token);
        try {
          if (!gone)
            await stream.sendWithFd(
              encodeResponse({ id: req.id, ok: true, result: { name: req.args.name } }),
              fd,
            );
        } finally {
          stream.closeFd?.(fd);
        }
        log.info('device fd passed', { ...who, name: req.args.name });
        return;
      }
      const result = await service.handle(session, req);
      send({ id: req.id, ok: true, result });
    } catch (e) {
      if (e instanceof Refusal) return refuse(req.id, e.code, e.message, req.type);
      log.error('request failed unexpectedly', { ...who, type: req.type, error: e });
      refuse(req.id, 'failed', 'internal error', req.type);
    }
  };

  stream.onData((chunk) => {
    for (const frame of framer.push(chunk)) {
      // Refusals of oversized lines go through the same queue, so responses keep the requests' order.
      const work =
        frame.kind === 'too-large'
          ? async () => refuse(null, 'too-large', `request larger than ${MAX_MESSAGE_BYTES} bytes`)
          : () => handleLine(frame.line);
      queued++;
      if (queued > MAX_QUEUED) stream.pause();
      chain = chain
        .then(work)
        .catch((error: unknown) => log.error('session request crashed', { ...who, error }))
        .finally(() => {
          queued--;
          if (queued <= MAX_QUEUED / 2) stream.resume();
        });
    }
  });

  stream.onGone(() => {
    if (gone) return;
    gone = true;
    // Whatever is in flight finishes first; then everything the session applied is undone.
    void chain.then(() => service.closeSession(session)).then((summary) => opts.onClosed?.(summary));
  });
}

/** A session over any Node duplex pair (stdio mode, tests). */
export function nodeStream(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): SessionStream {
  let goneFn: (() => void) | null = null;
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    goneFn?.();
  };
  input.on('end', fire);
  input.on('close', fire);
  input.on('error', fire);
  output.on('error', fire);
  return {
    onData: (fn) => input.on('data', (c: Buffer | string) => fn(typeof c === 'string' ? Buffer.from(c) : c)),
    onGone: (fn) => {
      goneFn = fn;
    },
    write: (text) => {
      output.write(text);
    },
    pause: () => input.pause(),
    resume: () => input.resume(),
    end: () => {
      output.end();
      fire();
    },
  };
}

/** For a connection whose credentials fail the policy: one typed refusal, logged, then close. */
export function refuseUnauthorized(
  stream: SessionStream,
  peer: PeerCredentials,
  policy: PeerPolicy,
  log: Logger,
): boolean {
  if (authorizePeer(peer, policy)) return false;
  log.warn('connection refused: peer not authorized', { uid: peer.uid, gid: peer.gid, pid: peer.pid });
  stream.write(
    encodeResponse({
      id: null,
      ok: false,
      error: { code: 'unauthorized', message: 'this user may not use the helper' },
    }),
  );
  stream.end();
  return true;
}
