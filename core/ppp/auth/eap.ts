/**
 * EAP peer (RFC 3748) over PPP: Identity, Notification, MD5-Challenge (§5.4) and EAP-MSCHAPv2
 * (draft-kamath-pppext-eap-mschapv2-02); any other method (e.g. EAP-TLS) is answered with a Nak (§5.3.1).
 */
import { authFailed, authMethodUnavailable, msChapFailureError, serverNotAuthenticated } from '../errors';
import { PROTO } from '../protocol';
import { chapMd5Response } from './chap';
import {
  decodeEapMd5,
  decodeEapMsChapV2Request,
  decodeEapPacket,
  EAP_CODE,
  EAP_TYPE,
  encodeEapMd5,
  encodeEapMsChapV2Ack,
  encodeEapMsChapV2Response,
  encodeEapPacket,
  MSCHAPV2_OP,
} from './eapPacket';
import { decodeMsChapFailure } from './mschapMessages';
import { MsChapV2Exchange } from './mschapv2Exchange';
import { type AuthContext, type Authenticator, serverText } from './types';

const TYPE_LABELS: Readonly<Record<number, string>> = {
  [EAP_TYPE.MD5]: 'EAP-MD5',
  [EAP_TYPE.TLS]: 'EAP-TLS',
  [EAP_TYPE.MSCHAPV2]: 'EAP-MSCHAPv2',
  21: 'EAP-TTLS',
  25: 'PEAP',
  6: 'EAP-GTC',
  5: 'EAP-OTP',
};
const typeLabel = (t: number): string => TYPE_LABELS[t] ?? `EAP type ${t}`;

export class EapClient implements Authenticator {
  readonly protocol = PROTO.EAP;
  private lastRequestId = -1;
  private lastResponse: Uint8Array | null = null;
  private method: 'mschapv2' | 'md5' | null = null;
  private ms: MsChapV2Exchange | null = null;
  private serverVerified = false;
  private readonly nakedTypes = new Set<string>();
  private done = false;

  constructor(private readonly ctx: AuthContext) {}

  /** EAP methods we can run, most preferred first (EAP-MD5 only when the profile also allows CHAP-MD5). */
  private supportedTypes(): number[] {
    const out = [EAP_TYPE.MSCHAPV2 as number];
    if (this.ctx.allowed.includes('chap-md5')) out.push(EAP_TYPE.MD5);
    return out;
  }

  start(): void {
    this.ctx.logger.debug('EAP: waiting for the server');
  }

  receive(bytes: Uint8Array): void {
    if (this.done) return;
    const res = decodeEapPacket(bytes);
    if (!res.ok) {
      this.ctx.logger.debug('EAP: malformed packet ignored', { error: res.error.message });
      return;
    }
    const p = res.value;
    if (p.code === EAP_CODE.SUCCESS) {
      this.onSuccess();
      return;
    }
    if (p.code === EAP_CODE.FAILURE) {
      this.onFailure();
      return;
    }
    if (p.code !== EAP_CODE.REQUEST) return;
    // RFC 3748 §4.1: a retransmitted Request (same Identifier) gets the same Response again.
    if (p.id === this.lastRequestId && this.lastResponse) {
      this.ctx.send(this.lastResponse);
      return;
    }
    const reply = this.answer(p.id, p.type, p.typeData);
    if (reply === null) return;
    this.lastRequestId = p.id;
    this.lastResponse = encodeEapPacket({
      code: EAP_CODE.RESPONSE,
      id: p.id,
      type: reply.type,
      typeData: reply.data,
    });
    this.ctx.send(this.lastResponse);
  }

  private answer(id: number, type: number, data: Uint8Array): { type: number; data: Uint8Array } | null {
    switch (type) {
      case EAP_TYPE.IDENTITY: {
        const identity = this.ctx.eapIdentity ?? this.ctx.credentials.username;
        return { type, data: new Uint8Array(Buffer.from(identity, 'utf8')) };
      }
      case EAP_TYPE.NOTIFICATION:
        this.ctx.logger.info('EAP notification from the server', {
          text: this.ctx.logger.redactor.scrub(serverText(data)),
        });
        return { type, data: new Uint8Array(0) };
      case EAP_TYPE.MD5:
        if (this.supportedTypes().includes(EAP_TYPE.MD5)) return this.md5(id, data);
        return this.nak(type);
      case EAP_TYPE.MSCHAPV2:
        return this.msChapV2(id, data);
      default:
        return this.nak(type);
    }
  }

  private nak(type: number): { type: number; data: Uint8Array } {
    this.nakedTypes.add(typeLabel(type));
    const ours = this.supportedTypes();
    this.ctx.logger.info(`EAP: server proposed ${typeLabel(type)}, answering Nak`, {
      proposing: ours.map(typeLabel),
    });
    // RFC 3748 §5.3.1: one octet per desired type, or 0 for none.
    return { type: EAP_TYPE.NAK, data: ours.length ? Uint8Array.from(ours) : Uint8Array.of(0) };
  }

  private md5(id: number, data: Uint8Array): { type: number; data: Uint8Array } | null {
    const ch = decodeEapMd5(data);
    if (!ch.ok) {
      this.ctx.logger.debug('EAP-MD5: malformed challenge ignored', { error: ch.error.message });
      return null;
    }
    this.method = 'md5';
    const value = chapMd5Response(id, this.ctx.credentials.password, ch.value.value);
    return {
      type: EAP_TYPE.MD5,
      data: encodeEapMd5(value, new Uint8Array(Buffer.from(this.ctx.credentials.username, 'utf8'))),
    };
  }

  private msChapV2(id: number, data: Uint8Array): { type: number; data: Uint8Array } | null {
    const req = decodeEapMsChapV2Request(data);
    if (!req.ok) {
      this.ctx.logger.debug('EAP-MSCHAPv2: malformed request ignored', { error: req.error.message });
      return null;
    }
    const r = req.value;
    if (r.op === MSCHAPV2_OP.CHALLENGE) {
      this.method = 'mschapv2';
      this.ms ??= new MsChapV2Exchange(
        this.ctx.primitives,
        this.ctx.credentials.username,
        this.ctx.credentials.password,
        this.ctx.random,
      );
      const value = this.ms.respond(r.challenge);
      const name = new Uint8Array(Buffer.from(this.ctx.credentials.username, 'utf8'));
      return { type: EAP_TYPE.MSCHAPV2, data: encodeEapMsChapV2Response(r.msId, value, name) };
    }
    if (r.op === MSCHAPV2_OP.SUCCESS) {
      const check = this.ms?.checkSuccess(r.message) ?? { ok: false as const, reason: 'missing' as const };
      if (!check.ok) {
        this.finish();
        this.ctx.failed(serverNotAuthenticated('EAP-MSCHAPv2', check.reason));
        return null;
      }
      this.serverVerified = true;
      return { type: EAP_TYPE.MSCHAPV2, data: encodeEapMsChapV2Ack(MSCHAPV2_OP.SUCCESS) };
    }
    // Failure: acknowledge it (the server then sends EAP-Failure), and report the typed reason now.
    const f = decodeMsChapFailure(r.message);
    const scrub = (s: string) => this.ctx.logger.redactor.scrub(s);
    const error = f.ok
      ? msChapFailureError(
          { ...f.value, message: scrub(serverText(Buffer.from(f.value.message, 'latin1'))) },
          'EAP-MSCHAPv2',
        )
      : authFailed('EAP-MSCHAPv2', scrub(serverText(r.message)));
    this.ctx.send(
      encodeEapPacket({
        code: EAP_CODE.RESPONSE,
        id,
        type: EAP_TYPE.MSCHAPV2,
        typeData: encodeEapMsChapV2Ack(MSCHAPV2_OP.FAILURE),
      }),
    );
    this.finish();
    this.ctx.failed(error);
    return null;
  }

  private onSuccess(): void {
    if (this.method === 'mschapv2' && !this.serverVerified) {
      this.finish();
      this.ctx.failed(serverNotAuthenticated('EAP-MSCHAPv2', 'missing'));
      return;
    }
    if (this.method === null) this.ctx.logger.warn('EAP: Success without an authentication method');
    this.finish();
    this.ctx.succeeded({ method: this.method === null ? 'eap' : `eap-${this.method}` });
  }

  private onFailure(): void {
    this.finish();
    if (this.method === null && this.nakedTypes.size > 0) {
      this.ctx.failed(authMethodUnavailable([...this.nakedTypes], this.supportedTypes().map(typeLabel)));
      return;
    }
    this.ctx.failed(
      authFailed(this.method === 'md5' ? 'EAP-MD5' : this.method === 'mschapv2' ? 'EAP-MSCHAPv2' : 'EAP'),
    );
  }

  refusedMethods(): readonly string[] {
    return [...this.nakedTypes];
  }

  nudge(): void {
    if (this.done) return;
    const finished =
      (this.method === 'mschapv2' && this.serverVerified) || (this.method === 'md5' && this.lastResponse);
    if (!finished) return;
    this.ctx.logger.debug(
      'EAP: network-phase packet before EAP-Success, taking it as success (RFC 3748 §4.2)',
    );
    this.onSuccess();
  }

  private finish(): void {
    this.done = true;
    this.ms?.wipe();
  }

  stop(): void {
    this.finish();
  }
}
