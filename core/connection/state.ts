import type { ConnectPhase, ErrorPhase } from '../common/errors';

/** What was negotiated, for diagnostics and the UI. */
export interface NegotiatedAlgorithms {
  readonly ike?: string;
  readonly esp?: string;
  readonly natT?: string;
  readonly pppAuth?: string;
  /** A legacy algorithm (3DES, MODP-1024, MD5) was negotiated. */
  readonly legacy?: boolean;
  /** Machine authentication: "psk", "rsa-sig", "ecdsa-256"… */
  readonly auth?: string;
  /** Subject of the server certificate that was validated. */
  readonly serverCertificate?: string;
  /** Policy warnings (legacy algorithms in use…), shown in diagnostics. */
  readonly warnings?: readonly string[];
}

export interface TunnelAddresses {
  readonly localIp: string;
  readonly peerIp: string;
  readonly dns: readonly string[];
  readonly mtu: number;
}

/** The connection as the UI and CLI see it (a tagged union, one variant per situation). */
export type ConnectionState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly phase: ConnectPhase }
  | {
      readonly kind: 'connected';
      readonly since: number;
      readonly addresses: TunnelAddresses;
      readonly algorithms: NegotiatedAlgorithms;
    }
  | { readonly kind: 'disconnecting' }
  | { readonly kind: 'disconnected'; readonly reason: 'user' | 'peer' }
  | {
      readonly kind: 'failed';
      readonly phase: ErrorPhase;
      readonly code: string;
      readonly message: string;
      readonly hint: string;
    };
