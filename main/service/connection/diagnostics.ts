/**
 * SPEC §4 diagnostics: the phase timeline, counters, negotiated algorithms, assigned address, routes and DNS,
 * the device's own counters and the recent log — and the exported bundle: the same as JSON, passed through the
 * redactor once more as a whole (every secret registered with it is scrubbed from every string).
 */
import type { ConnectionView } from '../../../core/api/ipc';
import type { LogEntry, Redactor } from '../../../core/common/log';
import type { NegotiatedAlgorithms, TunnelAddresses } from '../../../core/connection/state';
import type { Profile } from '../../../core/profile/schema';
import type { TunStats } from '../../../core/tun';
import type { SecretKind } from '../secrets/types';
import type { NetworkInfo } from './networkHost';
import type { PumpCounters } from './packetPump';
import type { ProfileSession } from './session';

export interface DiagnosticsReport {
  readonly format: 'ferry-diagnostics';
  readonly formatVersion: 1;
  readonly generatedAt: string;
  readonly ferryVersion: string;
  readonly host: { readonly platform: string; readonly arch: string; readonly node: string };
  readonly profile: Profile;
  /** Which secrets exist for the profile — never their values. */
  readonly secretsStored: Readonly<Partial<Record<SecretKind, boolean>>>;
  readonly connection: ConnectionView;
  readonly algorithms: NegotiatedAlgorithms | null;
  readonly addresses: TunnelAddresses | null;
  readonly network: NetworkInfo | null;
  readonly tun: TunStats | null;
  readonly pump: PumpCounters | null;
  readonly log: readonly LogEntry[];
}

export function connectionView(s: ProfileSession): ConnectionView {
  const info = s.network?.info();
  return {
    profileId: s.profile.id,
    state: s.state,
    phases: s.phases,
    counters: s.connection?.counters() ?? null,
    routes: info?.routes ?? [],
    dns: info?.dns ?? [],
    reconnect: s.reconnect,
    ...(s.waitingFor ? { waitingFor: s.waitingFor } : {}),
  };
}

export function diagnosticsReport(
  s: ProfileSession,
  log: readonly LogEntry[],
  extra: { readonly version: string; readonly secretsStored: Readonly<Partial<Record<SecretKind, boolean>>> },
): DiagnosticsReport {
  const st = s.state;
  const stats = s.network?.stats();
  return {
    format: 'ferry-diagnostics',
    formatVersion: 1,
    generatedAt: new Date().toISOString(),
    ferryVersion: extra.version,
    host: { platform: process.platform, arch: process.arch, node: process.version },
    profile: s.profile,
    secretsStored: extra.secretsStored,
    connection: connectionView(s),
    algorithms: st.kind === 'connected' ? st.algorithms : null,
    addresses: st.kind === 'connected' ? st.addresses : null,
    network: s.network?.info() ?? null,
    tun: stats?.tun ?? null,
    pump: stats?.pump ?? null,
    log,
  };
}

/** JSON (bigints, Maps and Sets allowed) with every registered secret scrubbed from every string. */
export function redactedJson(value: unknown, redactor: Redactor, indent = 2): string {
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      // Strings are scrubbed before JSON escaping (a secret with a quote or backslash would not match after).
      if (typeof v === 'string') return redactor.scrub(v);
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (v instanceof Uint8Array) return `<${v.length} bytes>`;
      return v;
    },
    indent,
  );
  return redactor.scrub(text);
}
