/** What every client-side authenticator (PAP, CHAP, EAP) gets from the link and gives back. */
import type { Clock } from '../../common/clock';
import type { FerryError } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { RandomSource } from '../../common/random';
import type { LegacyPrimitives } from '../crypto/legacy';
import type { AppendedCode } from './appendedCode';
import type { AuthMethod, AuthResultMethod } from './methods';

/** User credentials. The password is a secret: never logged, never put into an error or exception. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /**
   * SPEC §3 MFA "otp-append": a one-time code PAP appends to the password. Only PAP can carry it (the hashed
   * methods cannot); the first Authenticate-Request built takes it, so a second PAP exchange cannot resend it.
   */
  readonly appendedCode?: AppendedCode;
}

export interface AuthSuccess {
  readonly method: AuthResultMethod;
  /** The server's message (PAP Ack text, MS-CHAPv2 "M=" text), if any. */
  readonly message?: string;
}

export interface AuthContext {
  readonly credentials: Credentials;
  /** Methods the profile allows, most preferred first (gates EAP inner methods). */
  readonly allowed: readonly AuthMethod[];
  /** EAP-Response/Identity; defaults to the user name. */
  readonly eapIdentity?: string;
  readonly primitives: LegacyPrimitives;
  readonly random: RandomSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** PAP Authenticate-Request retransmission interval (RFC 1334 §2.2.1 restart timer). */
  readonly papRetransmitMs: number;
  /** Sends one packet of the authenticator's protocol (the link frames it). */
  send(packet: Uint8Array): void;
  succeeded(result: AuthSuccess): void;
  failed(error: FerryError): void;
}

export interface Authenticator {
  /** The PPP protocol number this authenticator speaks (PAP, CHAP or EAP). */
  readonly protocol: number;
  start(): void;
  /** One packet (code, id, length, data) of `protocol`. */
  receive(packet: Uint8Array): void;
  /**
   * The server sent an NCP packet while we wait for its verdict: it has moved on to the network phase, so its
   * Success was probably lost (RFC 1994 §4.1, RFC 3748 §4.2). CHAP repeats its Response to get the Success again;
   * EAP takes it as success once the method finished (and, for EAP-MSCHAPv2, the server was verified).
   */
  nudge?(): void;
  /** EAP: the methods the server proposed that we answered with a Nak (e.g. 'EAP-TLS'). */
  refusedMethods?(): readonly string[];
  stop(): void;
}

/** Server-supplied text as printable ASCII, bounded, for logs and error messages. */
export function serverText(bytes: Uint8Array, max = 200): string {
  let s = '';
  for (const b of bytes.subarray(0, max)) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  return s;
}
