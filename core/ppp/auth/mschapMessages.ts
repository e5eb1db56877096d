/** MS-CHAPv2 Success ("S=… M=…") and Failure ("E=… R=… C=… V=… M=…") message texts (RFC 2759 §5, §6). */
import { decoder, fail } from '../../common/decode';

export interface MsChapSuccess {
  /** The 20 bytes of the authenticator response ("S=" value). */
  readonly authenticatorResponse: Uint8Array;
  readonly message: string;
}

export interface MsChapFailure {
  /** E=: 691 authentication failure, 646 restricted hours, 647 disabled, 648 expired, 649 no dial-in, 709. */
  readonly error: number;
  readonly retry: boolean;
  /** C=: a new 16-byte challenge for a retry, when given. */
  readonly challenge: Uint8Array | null;
  readonly version: number | null;
  readonly message: string;
}

const latin1 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** RFC 2759 §5: "S=<40 hex digits>", optionally followed by " M=<message>". */
export const decodeMsChapSuccess = decoder((bytes: Uint8Array): MsChapSuccess => {
  const text = latin1(bytes);
  const m = /^S=([0-9A-Fa-f]{40})(?:\s*M=([\s\S]*))?\s*$/.exec(text);
  if (!m)
    fail(text.startsWith('S=') ? 'invalid' : 'unsupported', 'no "S=<40 hex digits>" authenticator response');
  return {
    authenticatorResponse: new Uint8Array(Buffer.from(m[1]!, 'hex')),
    message: m[2] ?? '',
  };
});

/** RFC 2759 §6: space-separated fields; E= is required, M= runs to the end. */
export const decodeMsChapFailure = decoder((bytes: Uint8Array): MsChapFailure => {
  const text = latin1(bytes);
  const mAt = text.search(/(?:^|\s)M=/);
  const head = mAt < 0 ? text : text.slice(0, mAt);
  const message = mAt < 0 ? '' : text.slice(text.indexOf('M=', mAt) + 2);
  const e = /(?:^|\s)E=(\d{1,10})(?=\s|$)/.exec(head);
  if (!e) fail('invalid', 'MS-CHAPv2 failure without "E=<error>"');
  const r = /(?:^|\s)R=([01])(?=\s|$)/.exec(head);
  const c = /(?:^|\s)C=([0-9A-Fa-f]{32})(?=\s|$)/.exec(head);
  const v = /(?:^|\s)V=(\d{1,10})(?=\s|$)/.exec(head);
  return {
    error: Number(e[1]),
    retry: r?.[1] === '1',
    challenge: c ? new Uint8Array(Buffer.from(c[1]!, 'hex')) : null,
    version: v ? Number(v[1]) : null,
    message,
  };
});
