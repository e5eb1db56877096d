/** PAP client (RFC 1334 §2): send the credentials, retransmit until Authenticate-Ack or -Nak. */
import type { TimerHandle } from '../../common/clock';
import { authFailed } from '../errors';
import { PROTO } from '../protocol';
import { decodePapPacket, encodePapRequest, PAP_CODE } from './papPacket';
import { type AuthContext, type Authenticator, serverText } from './types';

export class PapClient implements Authenticator {
  readonly protocol = PROTO.PAP;
  private id = 0;
  private readonly sentIds = new Set<number>();
  private timer: TimerHandle | null = null;
  private done = false;

  constructor(private readonly ctx: AuthContext) {}

  start(): void {
    this.ctx.logger.info('PAP: sending credentials', { user: this.ctx.credentials.username });
    this.transmit();
  }

  private transmit(): void {
    // RFC 1334 §2.2.1: each retransmission is a new Authenticate-Request with a new Identifier.
    this.id = (this.id + 1) & 0xff;
    this.sentIds.add(this.id);
    const user = new Uint8Array(Buffer.from(this.ctx.credentials.username, 'utf8'));
    const pass = new Uint8Array(Buffer.from(this.ctx.credentials.password, 'utf8'));
    try {
      this.ctx.send(encodePapRequest(this.id, user, pass));
    } finally {
      pass.fill(0);
    }
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
    this.done = true;
    this.stopTimer();
    const text = serverText(p.message);
    if (p.code === PAP_CODE.ACK) this.ctx.succeeded({ method: 'pap', message: text });
    else this.ctx.failed(authFailed('PAP', this.ctx.logger.redactor.scrub(text)));
  }

  stop(): void {
    this.done = true;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
