/**
 * PAP client (RFC 1334 §2): send the credentials, retransmit until Authenticate-Ack or -Nak. The request is
 * built once — with the one-time code appended when the profile's MFA says so (SPEC §3) — and resent with a new
 * Identifier; its bytes (and every temporary holding the password or code) are zeroed as soon as PAP is over.
 */
import type { TimerHandle } from '../../common/clock';
import { authFailed, oneTimeCodeSpent } from '../errors';
import { PROTO } from '../protocol';
import { decodePapPacket, encodePapRequestParts, PAP_CODE } from './papPacket';
import { type AuthContext, type Authenticator, serverText } from './types';

/** Digit runs that could be a one-time code, masked in server text quoted back to the user. */
const CODE_LIKE = /\d{6,}/g;

export class PapClient implements Authenticator {
  readonly protocol = PROTO.PAP;
  private id = 0;
  private readonly sentIds = new Set<number>();
  private timer: TimerHandle | null = null;
  private done = false;
  /** The Authenticate-Request (it holds the secret): resent with a new Identifier, zeroed when PAP ends. */
  private request: Uint8Array | null = null;

  constructor(private readonly ctx: AuthContext) {}

  start(): void {
    const code = this.ctx.credentials.appendedCode;
    this.ctx.logger.info('PAP: sending credentials', {
      user: this.ctx.credentials.username,
      withOneTimeCode: code !== undefined,
    });
    if (code?.spent) {
      // The server restarted authentication (e.g. after an LCP renegotiation): the code went out already.
      this.done = true;
      this.ctx.failed(oneTimeCodeSpent());
      return;
    }
    this.request = this.build();
    this.transmit();
  }

  private build(): Uint8Array {
    const { username, password, appendedCode } = this.ctx.credentials;
    const user = new Uint8Array(Buffer.from(username, 'utf8'));
    const pass = new Uint8Array(Buffer.from(password, 'utf8'));
    const suffix = appendedCode?.take() ?? null;
    try {
      return encodePapRequestParts(0, user, suffix ? [pass, suffix] : [pass]);
    } finally {
      pass.fill(0);
      suffix?.fill(0);
    }
  }

  private transmit(): void {
    const request = this.request;
    if (!request) return;
    // RFC 1334 §2.2.1: each retransmission is a new Authenticate-Request with a new Identifier.
    this.id = (this.id + 1) & 0xff;
    this.sentIds.add(this.id);
    request[1] = this.id;
    this.ctx.send(request);
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = null;
      if (!this.done) this.transmit();
    }, this.ctx.papRetransmitMs);
  }

  receive(bytes: Uint8Array): void {
    if (this.done) return;
    const res = decodePapPacket(bytes);
    if (!res.ok) {
      this.ctx.logger.debug('PAP: malformed packet ignored', { error: res.error.message });
      return;
    }
    const p = res.value;
    if (p.code === PAP_CODE.REQUEST || !this.sentIds.has(p.id)) return;
    this.finish();
    const text = serverText(p.message);
    if (p.code === PAP_CODE.ACK) this.ctx.succeeded({ method: 'pap', message: text });
    else {
      let said = this.ctx.logger.redactor.scrub(text);
      if (this.ctx.credentials.appendedCode) said = said.replace(CODE_LIKE, '[digits]');
      this.ctx.failed(authFailed('PAP', said));
    }
  }

  stop(): void {
    this.finish();
  }

  private finish(): void {
    this.done = true;
    if (this.timer !== null) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
    this.request?.fill(0);
    this.request = null;
  }
}
