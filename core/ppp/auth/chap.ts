/** CHAP client: MD5 (RFC 1994 §4) or MS-CHAPv2 (RFC 2759), answering the server's Challenge. */
import { md5 } from '../crypto/hashes';
import { authFailed, msChapFailureError, serverNotAuthenticated } from '../errors';
import { PROTO } from '../protocol';
import { CHAP_CODE, decodeChapPacket, encodeChapPacket } from './chapPacket';
import { decodeMsChapFailure } from './mschapMessages';
import { MsChapV2Exchange } from './mschapv2Exchange';
import { type AuthContext, type Authenticator, serverText } from './types';

/** RFC 1994 §4.1: Response = MD5(Identifier | secret | Challenge); also EAP MD5-Challenge (RFC 3748 §5.4). */
export function chapMd5Response(id: number, secret: string, challenge: Uint8Array): Uint8Array {
  const s = new Uint8Array(Buffer.from(secret, 'utf8'));
  try {
    return md5(Uint8Array.of(id & 0xff), s, challenge);
  } finally {
    s.fill(0);
  }
}

export class ChapClient implements Authenticator {
  readonly protocol = PROTO.CHAP;
  private readonly ms: MsChapV2Exchange | null;
  private pendingId = -1;
  private lastChallenge: Uint8Array | null = null;
  private lastResponse: Uint8Array | null = null;
  private stopped = false;
  private succeeded = false;

  constructor(
    private readonly ctx: AuthContext,
    private readonly algorithm: 'chap-md5' | 'mschapv2',
  ) {
    this.ms =
      algorithm === 'mschapv2'
        ? new MsChapV2Exchange(ctx.primitives, ctx.credentials.username, ctx.credentials.password, ctx.random)
        : null;
  }

  private get label(): string {
    return this.algorithm === 'mschapv2' ? 'MS-CHAPv2' : 'CHAP-MD5';
  }

  start(): void {
    this.ctx.logger.debug(`${this.label}: waiting for the server's challenge`);
  }

  receive(bytes: Uint8Array): void {
    if (this.stopped) return;
    const res = decodeChapPacket(bytes);
    if (!res.ok) {
      this.ctx.logger.debug(`${this.label}: malformed packet ignored`, { error: res.error.message });
      return;
    }
    const p = res.value;
    if (p.code === CHAP_CODE.CHALLENGE) this.onChallenge(p.id, p.value);
    else if (p.code === CHAP_CODE.SUCCESS || p.code === CHAP_CODE.FAILURE) {
      if (p.id !== this.pendingId) {
        this.ctx.logger.debug(`${this.label}: reply for another identifier ignored`, { id: p.id });
        return;
      }
      this.pendingId = -1;
      if (p.code === CHAP_CODE.SUCCESS) this.onSuccess(p.message);
      else this.onFailure(p.message);
    }
  }

  private onChallenge(id: number, challenge: Uint8Array): void {
    // A retransmitted challenge gets the same response (RFC 1994 §4.1).
    const dup =
      id === this.pendingId &&
      this.lastChallenge !== null &&
      Buffer.compare(challenge, this.lastChallenge) === 0;
    if (!dup) {
      if (this.ms && challenge.length !== 16) {
        this.ctx.logger.warn('MS-CHAPv2: challenge is not 16 bytes, ignored', { length: challenge.length });
        return;
      }
      const value = this.ms
        ? this.ms.respond(challenge)
        : chapMd5Response(id, this.ctx.credentials.password, challenge);
      const name = new Uint8Array(Buffer.from(this.ctx.credentials.username, 'utf8'));
      this.lastResponse = encodeChapPacket({ code: CHAP_CODE.RESPONSE, id, value, name });
      this.lastChallenge = challenge.slice();
      this.pendingId = id;
      if (this.succeeded) this.ctx.logger.info(`${this.label}: server re-challenged, answering`);
    }
    if (this.lastResponse) this.ctx.send(this.lastResponse);
  }

  private onSuccess(message: Uint8Array): void {
    if (this.ms) {
      const check = this.ms.checkSuccess(message);
      if (!check.ok) {
        this.stopped = true;
        this.ctx.failed(serverNotAuthenticated(this.label, check.reason));
        return;
      }
      if (this.succeeded) return;
      this.succeeded = true;
      this.ctx.succeeded({ method: 'mschapv2', message: serverText(Buffer.from(check.message, 'latin1')) });
      return;
    }
    if (this.succeeded) return;
    this.succeeded = true;
    this.ctx.succeeded({ method: 'chap-md5', message: serverText(message) });
  }

  private onFailure(message: Uint8Array): void {
    this.stopped = true;
    const scrub = (s: string) => this.ctx.logger.redactor.scrub(s);
    if (this.ms) {
      const f = decodeMsChapFailure(message);
      if (f.ok) {
        this.ctx.failed(
          msChapFailureError(
            { ...f.value, message: scrub(serverText(Buffer.from(f.value.message, 'latin1'))) },
            'MS-CHAPv2',
          ),
        );
        return;
      }
    }
    this.ctx.failed(authFailed(this.label, scrub(serverText(message))));
  }

  nudge(): void {
    if (this.stopped || this.pendingId < 0 || !this.lastResponse) return;
    this.ctx.logger.debug(`${this.label}: server moved on without our Success, repeating the Response`);
    this.ctx.send(this.lastResponse);
  }

  stop(): void {
    this.stopped = true;
    this.ms?.wipe();
  }
}
