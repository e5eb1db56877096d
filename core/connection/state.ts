import type { ConnectPhase, ErrorPhase } from '../common/errors';

/** What was negotiated, for diagnostics and the UI. */
export interface NegotiatedAlgorithms {
  readonly ike?: string;
  readonly esp?: string;
  readonly natT?: string;
  readonly pppAuth?: string;
  readonly legacy?: boolean;
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
