/**
 * An IKEv1 SA as seen by the initiator: runs exchanges (Main Mode now; Quick Mode, informational and rekey
 * later) over an IkeTransport, and keeps the SA state they share: cookies, keys, IVs, NAT-T state, message IDs.
 * Incoming messages go, in order, to the reply cache (peer retransmissions), pending requests, then handlers.
 */
import { equalBytes } from '../common/bytes';
import { type Clock, systemClock, type TimerHandle } from '../common/clock';
import type { DecodeError } from '../common/decode';
import { FerryError } from '../common/errors';
import { type Logger, silentLogger } from '../common/log';
import { type RandomSource, randomU32, systemRandom } from '../common/random';
import type { Result } from '../common/result';
import {
  type Phase1Authenticator,
  pskAuthenticator,
  type SignatureAuthOptions,
  signatureAuthenticator,
} from './auth/authenticator';
import type { VerifiedPeer } from './auth/peerCertificate';
import { ExchangeType, HeaderFlag } from './constants';
import { type DecryptedMessage, decryptMessage, encryptMessage } from './crypto/protect';
import { forSignatureAuth, phase1Error } from './errors';
import {
  DEFAULT_RETRANSMIT,
  type IgnoreReason,
  ReplyCache,
  RequestRunner,
  type RequestSpec,
  type RetransmitPolicy,
} from './exchange';
import { parseIpv4 } from './ipv4';
import { decodeHeader, type IsakmpHeader, type OutgoingPayload } from './message';
import { IKE_PORT, type IkeTransport } from './nattTransport';
import type { Identification, Identity } from './payloads/identification';
import { type RemoteIdentity, remoteIdentityOf } from './peerIdentity';
import type { Phase1Result, Phase1Sa } from './phase1';
import { DEFAULT_PHASE1_PROPOSALS, type Phase1Proposal, validatePhase1Proposals } from './proposals';
import { runMainMode } from './tasks/mainMode';

export interface IkeSaOptions {
  readonly transport: IkeTransport;
  readonly serverAddress: string;
  /** The server's IKE port, hashed into NAT-D (default 500). */
  readonly serverPort?: number;
  /**
   * The pre-shared key (RFC 2409 §5). Registered with the logger's redactor; never logged or put into errors.
   * Exactly one of `psk` and `certificate` is given.
   */
  readonly psk?: Uint8Array;
  /** Signature authentication (RFC 2409 §5.1): our certificate and key, the CA, the remote ID. */
  readonly certificate?: SignatureAuthOptions;
  /**
   * Our ID in MM5 (default: the subject DN of our certificate, else ID_IPV4_ADDR of `localAddress`, else 0.0.0.0).
   */
  readonly localId?: Identification;
  /** When set, the server's MM6 ID must name it (and, with certificates, its certificate must carry it). */
  readonly remoteId?: Identity | RemoteIdentity;
  /**
   * Our IPv4 source address towards the server, if known: the default ID, and the NAT-D check that reports
   * whether we are behind a NAT (with the IKE socket's port).
   */
  readonly localAddress?: string;
  readonly proposals?: readonly Phase1Proposal[];
  /** Allow legacy algorithms (3DES, MD5, MODP-768/1024) in `proposals`. */
  readonly allowLegacy?: boolean;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly logger?: Logger;
  readonly retransmit?: Partial<RetransmitPolicy>;
  /** Bound on the whole of phase 1 (default 30 s). */
  readonly timeoutMs?: number;
  /** Send INITIAL-CONTACT in MM5 so the server drops stale SAs of ours (default true). */
  readonly initialContact?: boolean;
  /** MM4 retransmissions after our MM5 taken as proof of a wrong PSK (default 2). */
  readonly authFailureEvidence?: number;
  /** Our nonce length (default 32; RFC 2409 §5 allows 8..256). */
  readonly nonceLength?: number;
}

export interface IkeSaCounters {
  received: number;
  sent: number;
  /** Our retransmissions: timer-driven ones plus answers to the server's retransmissions. */
  retransmissions: number;
  /** Server retransmissions answered with our previous message. */
  answeredRetransmissions: number;
  ignored: Record<IgnoreReason | 'foreign', number>;
}

export type ExchangeHandler = (message: Uint8Array, header: IsakmpHeader, via: 'ike' | 'natt') => void;

type SaState = 'idle' | 'connecting' | 'established' | 'failed' | 'closed';

export class IkeSa {
  readonly counters: IkeSaCounters = {
    received: 0,
    sent: 0,
    retransmissions: 0,
    answeredRetransmissions: 0,
    ignored: { garbage: 0, stale: 0, duplicate: 0, unexpected: 0, undecryptable: 0, foreign: 0 },
  };
  readonly initiatorCookie: Uint8Array;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly logger: Logger;
  private readonly runner: RequestRunner;
  private readonly replies = new ReplyCache();
  private readonly handlers = new Map<number, ExchangeHandler>();
  private readonly usedMessageIds = new Set<number>();
  private readonly unsubscribe: () => void;
  private phase1: Phase1Sa | null = null;
  private verifiedPeer: VerifiedPeer | null = null;
  private state: SaState = 'idle';
  private readonly auth: Phase1Authenticator;
  private readonly adoptedRole: 'initiator' | 'responder';

  /**
   * `adopted`: a phase 1 that the server initiated and we answered (MainModeResponder, the server's reauth):
   * the SA starts established, its cookies are the server's CKY-I and our CKY-R.
   */
  constructor(
    private readonly opts: IkeSaOptions,
    adopted?: {
      readonly sa: Phase1Sa;
      readonly replies?: readonly (readonly [Uint8Array, Uint8Array | null])[];
    },
  ) {
    if (!parseIpv4(opts.serverAddress)) throw new RangeError('serverAddress must be an IPv4 address');
    if (opts.localAddress !== undefined && !parseIpv4(opts.localAddress))
      throw new RangeError('localAddress must be an IPv4 address');
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.logger = opts.logger ?? silentLogger;
    if ((opts.psk === undefined) === (opts.certificate === undefined))
      throw new RangeError('give exactly one of psk and certificate');
    const remote = opts.remoteId === undefined ? undefined : remoteIdentityOf(opts.remoteId);
    if (opts.psk) {
      this.logger.redactor.addSecret(opts.psk);
      this.auth = pskAuthenticator(opts.psk, remote);
    } else {
      const c = opts.certificate!;
      this.auth = signatureAuthenticator({
        ...c,
        trust: { ...c.trust, remoteIdentity: c.trust.remoteIdentity ?? remote },
      });
    }
    this.initiatorCookie = adopted ? adopted.sa.initiatorCookie : nonZero(this.random, 8);
    this.adoptedRole = adopted ? 'responder' : 'initiator';
    if (adopted) {
      this.phase1 = adopted.sa;
      this.state = 'established';
      for (const [incoming, reply] of adopted.replies ?? []) this.replies.remember(incoming, reply);
    }
    const policy = { ...DEFAULT_RETRANSMIT, ...opts.retransmit };
    this.runner = new RequestRunner(
      this.clock,
      (m) => this.send(m),
      policy,
      this.logger,
      () => {
        this.counters.retransmissions++;
      },
    );
    this.unsubscribe = opts.transport.onIke((m, via) => this.receive(m, via));
  }

  get established(): boolean {
    return this.state === 'established';
  }

  /** The server's certificate path once it authenticated with a signature; null with a PSK. */
  get peerCertificate(): VerifiedPeer | null {
    return this.verifiedPeer;
  }

  /** How this SA authenticates ("pre-shared key", "RSA signatures", "ECDSA P-256"). */
  get authDescription(): string {
    return this.auth.description;
  }

  /** The authenticator (shared with a Main Mode responder for the server's reauthentication). */
  get authenticator(): Phase1Authenticator {
    return this.auth;
  }

  /** The phase-1 state; throws before establishment. */
  get sa(): Phase1Sa {
    if (!this.phase1) throw new Error('IKE SA is not established');
    return this.phase1;
  }

  /** Runs Main Mode (RFC 2409 §5) and resolves once MM6 is verified; rejects with a FerryError. */
  async establish(): Promise<Phase1Result> {
    if (this.state !== 'idle') throw new Error(`establish() called in state ${this.state}`);
    this.state = 'connecting';
    const proposals = this.opts.proposals ?? DEFAULT_PHASE1_PROPOSALS;
    const invalid = validatePhase1Proposals(proposals, { legacy: this.opts.allowLegacy ?? false });
    if (invalid) {
      this.state = 'failed';
      throw phase1Error('no-proposal-chosen', `invalid phase-1 proposals: ${invalid}`);
    }
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    const deadline: TimerHandle = this.clock.setTimeout(() => {
      this.runner.abortAll(
        phase1Error('timeout', `no response from server: phase 1 not done after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    try {
      const outcome = await runMainMode({
        initiatorCookie: this.initiatorCookie,
        clock: this.clock,
        random: this.random,
        logger: this.logger,
        auth: this.auth,
        proposals,
        localId: this.opts.localId ??
          this.auth.defaultLocalId() ?? {
            identity: { type: 'ipv4', address: this.opts.localAddress ?? '0.0.0.0' },
            protocol: 0,
            port: 0,
          },
        server: { address: this.opts.serverAddress, port: this.opts.serverPort ?? IKE_PORT },
        localEndpoint:
          this.opts.localAddress === undefined
            ? undefined
            : { address: this.opts.localAddress, port: this.opts.transport.localPorts.ike },
        initialContact: this.opts.initialContact ?? true,
        authFailureEvidence: this.opts.authFailureEvidence ?? 2,
        nonceLength: this.opts.nonceLength ?? 32,
        request: (spec) => this.request(spec),
        rememberReply: (incoming, reply, onRepeat) => this.rememberReply(incoming, reply, onRepeat),
        float: () => this.opts.transport.float(),
        retransmissions: () => this.counters.retransmissions,
      });
      if (this.state !== 'connecting') throw phase1Error('aborted', 'the IKE SA was closed during phase 1');
      this.phase1 = outcome.sa;
      this.verifiedPeer = outcome.peer;
      this.state = 'established';
      return outcome.result;
    } catch (e) {
      if (this.state === 'connecting') this.state = 'failed';
      const error = this.auth.kind === 'signature' && e instanceof FerryError ? forSignatureAuth(e) : e;
      this.logger.warn('phase 1 failed', { error });
      throw error;
    } finally {
      this.clock.clearTimeout(deadline);
    }
  }

  /** Sends one IKE message now (responses, notifications). */
  send(message: Uint8Array): void {
    if (this.state === 'closed') return;
    this.counters.sent++;
    this.opts.transport.sendIke(message);
  }

  /** Sends a request, retransmits with backoff, resolves with the accepted reply (see RequestRunner). */
  request<T>(spec: RequestSpec<T>): Promise<T> {
    if (this.state === 'closed') return Promise.reject(phase1Error('aborted', 'the IKE SA is closed'));
    return this.runner.run(spec);
  }

  /** Answer `incoming` with `reply` if the peer sends it again (null: drop it silently as a duplicate). */
  rememberReply(incoming: Uint8Array, reply: Uint8Array | null, onRepeat?: () => void): void {
    this.replies.remember(incoming, reply, onRepeat);
  }

  /** Routes unsolicited messages of an exchange type (after phase 1) to a handler, e.g. INFORMATIONAL or QUICK_MODE. */
  onExchange(exchangeType: number, handler: ExchangeHandler): () => void {
    this.handlers.set(exchangeType, handler);
    return () => {
      if (this.handlers.get(exchangeType) === handler) this.handlers.delete(exchangeType);
    };
  }

  /** A fresh non-zero message ID not used before on this SA (RFC 2408 §3.1). */
  newMessageId(): number {
    for (;;) {
      const id = randomU32(this.random);
      if (id !== 0 && !this.usedMessageIds.has(id)) {
        this.usedMessageIds.add(id);
        return id;
      }
    }
  }

  /** Encrypts a message of exchange `messageId` with that exchange's IV and advances it (RFC 2409 App. B). */
  encrypt(exchangeType: number, messageId: number, payloads: readonly OutgoingPayload[]): Uint8Array {
    const sa = this.sa;
    const out = encryptMessage(
      sa.cipher,
      {
        initiatorCookie: sa.initiatorCookie,
        responderCookie: sa.responderCookie,
        exchangeType,
        flags: HeaderFlag.ENCRYPTION,
        messageId,
      },
      payloads,
      sa.ivs.current(messageId),
    );
    sa.ivs.advance(messageId, out.lastBlock);
    return out.bytes;
  }

  /**
   * Decrypts a message with its exchange's current IV. Does not advance the IV: call
   * `sa.ivs.advance(header.messageId, result.lastBlock)` once the message's HASH verified.
   */
  decrypt(message: Uint8Array, header: IsakmpHeader): Result<DecryptedMessage, DecodeError> {
    const sa = this.sa;
    return decryptMessage(sa.cipher, message, header, sa.ivs.current(header.messageId));
  }

  /** Decrypts with an explicit IV (e.g. a peer-initiated exchange whose IV must not be remembered yet). */
  decryptWith(
    message: Uint8Array,
    header: IsakmpHeader,
    iv: Uint8Array,
  ): Result<DecryptedMessage, DecodeError> {
    return decryptMessage(this.sa.cipher, message, header, iv);
  }

  /** Who started this IKE SA's Main Mode: us, or the server (a reauthentication it initiated). */
  get role(): 'initiator' | 'responder' {
    return this.adoptedRole;
  }

  /** Stops handling traffic and fails pending requests. The transport stays open: its owner closes it. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.unsubscribe();
    this.runner.abortAll(phase1Error('aborted', 'the IKE SA was closed'));
    this.handlers.clear();
  }

  private receive(message: Uint8Array, via: 'ike' | 'natt'): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    this.counters.received++;
    const h = decodeHeader(message);
    if (!h.ok) {
      this.counters.ignored.garbage++;
      this.logger.debug('ignored undecodable datagram', { length: message.length, reason: h.error.message });
      return;
    }
    const header = h.value;
    const bytes = message.subarray(0, header.length);
    if (!equalBytes(header.initiatorCookie, this.initiatorCookie)) {
      // SoftEther answers a failed MM1 with a notify under a fresh cookie, ours being its SPI: let the
      // pending request look at unencrypted notifications; everything else with a foreign cookie is dropped.
      const maybeOurs =
        header.exchangeType === ExchangeType.INFORMATIONAL && !(header.flags & HeaderFlag.ENCRYPTION);
      if (!maybeOurs || !this.runner.offer(bytes, header, via).consumed) this.counters.ignored.foreign++;
      return;
    }
    const cached = this.replies.lookup(bytes);
    if (cached) {
      if (cached.reply) {
        this.counters.answeredRetransmissions++;
        this.counters.retransmissions++;
        this.send(cached.reply);
      } else {
        this.counters.ignored.duplicate++;
      }
      return;
    }
    const offered = this.runner.offer(bytes, header, via);
    if (offered.consumed) return;
    const handler = this.state === 'established' ? this.handlers.get(header.exchangeType) : undefined;
    if (handler) {
      handler(bytes, header, via);
      return;
    }
    this.counters.ignored[offered.reason ?? 'unexpected']++;
  }
}

function nonZero(random: RandomSource, n: number): Uint8Array {
  for (;;) {
    const b = random(n);
    if (b.some((x) => x !== 0)) return b;
  }
}
