/**
 * Requests with retransmission (RFC 2408 §5 leaves timers to implementations): send, retransmit with exponential
 * backoff until a reply is accepted or the request's deadline passes, and a reply cache that answers a peer's
 * retransmission with our own last message. Every wait has a deadline; nothing here can hang.
 */

import { equalBytes } from '../common/bytes';
import type { Clock, TimerHandle } from '../common/clock';
import type { Logger } from '../common/log';
import type { IsakmpHeader } from './message';

export interface RetransmitPolicy {
  /** Wait before the first retransmission. */
  readonly initialMs: number;
  /** Each further wait is the previous one times this. */
  readonly factor: number;
  /** Longest wait between two transmissions. */
  readonly maxIntervalMs: number;
  /** A request fails when no acceptable reply came within this long of its first transmission. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_RETRANSMIT: RetransmitPolicy = {
  initialMs: 500,
  factor: 2,
  maxIntervalMs: 4000,
  requestTimeoutMs: 15_000,
};

export type IgnoreReason = 'garbage' | 'stale' | 'duplicate' | 'unexpected' | 'undecryptable';

/** What a request makes of an incoming message. */
export type Verdict<T> =
  | { readonly accept: T }
  | { readonly fail: Error }
  | { readonly ignore: IgnoreReason; readonly detail?: string };

export interface RequestSpec<T> {
  /** For logs: 'MM1', 'QM1', 'DPD', ... */
  readonly label: string;
  readonly message: Uint8Array;
  classify(message: Uint8Array, header: IsakmpHeader, via: 'ike' | 'natt'): Verdict<T>;
  /** Overrides the policy's request timeout. */
  readonly timeoutMs?: number;
  /** The error for a timeout (default: a plain Error naming the label). */
  timeoutError?(): Error;
  /** Called after every transmission (1 = first). */
  onTransmit?(count: number): void;
  /** Receives a function that fails the request from outside (e.g. on evidence gathered elsewhere). */
  attach?(fail: (error: Error) => void): void;
}

interface Pending {
  readonly label: string;
  offer(message: Uint8Array, header: IsakmpHeader, via: 'ike' | 'natt'): Verdict<unknown> | null;
  abort(error: Error): void;
}

export type OfferResult =
  | { readonly consumed: true }
  | { readonly consumed: false; readonly reason?: IgnoreReason };

export class RequestRunner {
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly transmit: (message: Uint8Array) => void,
    private readonly policy: RetransmitPolicy,
    private readonly logger: Logger,
    private readonly onRetransmit: () => void = () => {},
  ) {}

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Sends `spec.message` and resolves with the first accepted reply. */
  run<T>(spec: RequestSpec<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = this.clock.now();
      const timeoutMs = spec.timeoutMs ?? this.policy.requestTimeoutMs;
      let interval = this.policy.initialMs;
      let sends = 0;
      let timer: TimerHandle | null = null;
      let done = false;
      const finish = () => {
        done = true;
        if (timer !== null) this.clock.clearTimeout(timer);
        timer = null;
        this.pending.delete(entry);
      };
      const send = () => {
        sends++;
        if (sends > 1) this.onRetransmit();
        this.transmit(spec.message);
        spec.onTransmit?.(sends);
      };
      const arm = () => {
        const left = start + timeoutMs - this.clock.now();
        if (left <= 0) {
          finish();
          this.logger.debug('request timed out', { label: spec.label, sends });
          reject(spec.timeoutError?.() ?? new Error(`${spec.label}: no reply after ${sends} transmissions`));
          return;
        }
        const wait = Math.min(interval, left);
        timer = this.clock.setTimeout(() => {
          timer = null;
          if (done) return;
          if (this.clock.now() - start >= timeoutMs) {
            arm();
            return;
          }
          this.logger.debug('retransmitting', { label: spec.label, sends });
          send();
          interval = Math.min(interval * this.policy.factor, this.policy.maxIntervalMs);
          arm();
        }, wait);
      };
      const entry: Pending = {
        label: spec.label,
        offer: (message, header, via) => {
          if (done) return null;
          const v = spec.classify(message, header, via);
          if ('accept' in v) {
            finish();
            resolve(v.accept);
          } else if ('fail' in v) {
            finish();
            reject(v.fail);
          }
          return v;
        },
        abort: (error) => {
          if (done) return;
          finish();
          reject(error);
        },
      };
      this.pending.add(entry);
      spec.attach?.((error) => entry.abort(error));
      send();
      arm();
    });
  }

  /** Offers an incoming message to the pending requests, oldest first. */
  offer(message: Uint8Array, header: IsakmpHeader, via: 'ike' | 'natt'): OfferResult {
    let reason: IgnoreReason | undefined;
    for (const p of [...this.pending]) {
      const v = p.offer(message, header, via);
      if (v === null) continue;
      if ('ignore' in v) {
        reason = v.ignore;
        if (v.detail)
          this.logger.debug('ignored message', { label: p.label, reason: v.ignore, detail: v.detail });
        continue;
      }
      return { consumed: true };
    }
    return reason === undefined ? { consumed: false } : { consumed: false, reason };
  }

  abortAll(error: Error): void {
    for (const p of [...this.pending]) p.abort(error);
  }
}

interface CachedReply {
  readonly incoming: Uint8Array;
  reply: Uint8Array | null;
  readonly onRepeat?: (() => void) | undefined;
}

/**
 * Remembers the peer messages we already acted on and what we answered (RFC 2408 §5: a retransmitted message
 * gets our previous answer again, never fresh processing). `reply: null` means "seen, nothing to resend".
 */
export class ReplyCache {
  private readonly entries: CachedReply[] = [];

  constructor(private readonly capacity = 16) {}

  remember(incoming: Uint8Array, reply: Uint8Array | null, onRepeat?: () => void): void {
    const existing = this.entries.find((e) => equalBytes(e.incoming, incoming));
    if (existing) {
      existing.reply = reply;
      return;
    }
    this.entries.push({ incoming: incoming.slice(), reply, onRepeat });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** The cached entry for a byte-identical message, if any; runs its onRepeat hook. */
  lookup(incoming: Uint8Array): { readonly reply: Uint8Array | null } | undefined {
    const e = this.entries.find((x) => equalBytes(x.incoming, incoming));
    if (!e) return undefined;
    e.onRepeat?.();
    return { reply: e.reply };
  }
}
