/** Human output of the CLI (JSON output is the data itself). Nothing here ever sees a secret. */
import type { ConnectionView } from '../../core/api/ipc';
import { PHASE_LABELS } from '../../core/common/errors';
import type { LogEntry } from '../../core/common/log';
import type { ConnectionState } from '../../core/connection/state';
import type { PhaseEntry } from '../../core/connection/timeline';
import type { FieldError } from '../../core/profile/schema';
import type { DiagnosticsReport } from '../service/connection/diagnostics';
import type { StoredProfile, StoreProblem } from '../service/profiles/profileStore';

/** What `ferry status` returns (and prints). */
export interface StatusResult {
  readonly pid: number;
  readonly startedAt: string;
  readonly profile: {
    readonly id: string;
    readonly name: string;
    readonly server: string;
    readonly routing: string;
  };
  readonly connection: ConnectionView;
  readonly algorithms: DiagnosticsReport['algorithms'];
  readonly addresses: DiagnosticsReport['addresses'];
  readonly network: DiagnosticsReport['network'];
  readonly tun: DiagnosticsReport['tun'];
}

const label = (phase: string) => PHASE_LABELS[phase as keyof typeof PHASE_LABELS] ?? phase;
const ms = (n: number | null) => (n === null ? '' : `${Math.round(n)} ms`);

export function phaseLine(p: PhaseEntry): string {
  return `  ${label(p.phase).padEnd(20)} ${p.result.padEnd(8)} ${ms(p.durationMs).padStart(8)}${p.detail ? `  ${p.detail}` : ''}`.trimEnd();
}

export function errorLine(
  e: { phase: string; code: string; message: string; hint: string },
  exit?: number,
): string {
  return `ferry: ${label(e.phase)}: ${e.message} — ${e.hint} [${e.code}${exit === undefined ? '' : `, exit ${exit}`}]`;
}

export function fieldErrors(fields: readonly FieldError[]): string {
  return fields.map((f) => `  ${f.path || '(file)'}: ${f.message}`).join('\n');
}

export function stateLine(s: ConnectionState): string {
  switch (s.kind) {
    case 'connected':
      return `connected (${s.addresses.localIp})`;
    case 'connecting':
      return `connecting: ${label(s.phase)}`;
    case 'failed':
      return `failed: ${label(s.phase)}: ${s.message} — ${s.hint} [${s.code}]`;
    case 'disconnected':
      return `disconnected (${s.reason})`;
    default:
      return s.kind;
  }
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

function since(t: number): string {
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return s < 60
    ? `${s} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The summary printed when the tunnel is up, and the body of `ferry status`. */
export function connectionSummary(r: Omit<StatusResult, 'pid' | 'startedAt'>): string {
  const v = r.connection;
  const lines = [`${r.profile.name} (${r.profile.id}) → ${r.profile.server}: ${stateLine(v.state)}`];
  if (v.state.kind === 'connected') lines.push(`  up for            ${since(v.state.since)}`);
  if (v.reconnect)
    lines.push(`  reconnect         attempt ${v.reconnect.attempt} in ${ms(v.reconnect.inMs)}`);
  if (r.addresses)
    lines.push(
      `  address           ${r.addresses.localIp} peer ${r.addresses.peerIp} mtu ${r.addresses.mtu}${r.network?.tunName ? ` on ${r.network.tunName}` : ''}`,
    );
  if (r.algorithms) {
    const a = r.algorithms;
    lines.push(
      `  algorithms        IKE ${a.ike ?? '?'}, ESP ${a.esp ?? '?'}, NAT-T ${a.natT ?? '?'}, PPP ${a.pppAuth ?? '?'}${a.legacy ? ' (legacy enabled)' : ''}`,
    );
  }
  lines.push(`  routing           ${r.profile.routing}${r.network?.killSwitch ? ', kill switch on' : ''}`);
  for (const route of v.routes) lines.push(`    ${route}`);
  if (v.dns.length)
    lines.push(
      `  DNS               ${v.dns.join(', ')}${r.network?.dnsMethod ? ` (${r.network.dnsMethod})` : ''}`,
    );
  const ip = v.counters?.ip;
  if (ip) {
    lines.push(
      `  traffic           in ${ip.packetsIn} packets / ${bytes(ip.bytesIn)}, out ${ip.packetsOut} packets / ${bytes(ip.bytesOut)}`,
    );
    const drops = Object.entries(ip.drops);
    if (drops.length) lines.push(`  dropped           ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  return lines.join('\n');
}

export function statusText(r: StatusResult): string {
  const phases = r.connection.phases.map(phaseLine).join('\n');
  return `${connectionSummary(r)}\n  phases (pid ${r.pid}, started ${r.startedAt}):\n${phases}`;
}

function logLine(e: LogEntry): string {
  const fields = Object.keys(e.fields).length ? ` ${JSON.stringify(e.fields)}` : '';
  return `  ${new Date(e.ts).toISOString().slice(11, 23)} ${e.level.padEnd(5)} ${e.scope}: ${e.msg}${fields}`;
}

export function diagText(d: DiagnosticsReport, logLines = 40): string {
  const c = d.connection;
  const out = [
    `Ferry ${d.ferryVersion} diagnostics, ${d.generatedAt} (${d.host.platform}/${d.host.arch}, node ${d.host.node})`,
    connectionSummary({
      profile: {
        id: d.profile.id,
        name: d.profile.name,
        server: d.profile.server,
        routing: d.profile.routing.mode,
      },
      connection: c,
      algorithms: d.algorithms,
      addresses: d.addresses,
      network: d.network,
      tun: d.tun,
    }),
    '  phase timeline:',
    ...c.phases.map(phaseLine),
  ];
  const carrier = c.counters?.carrier as
    | { esp?: Record<string, unknown>; dpd?: Record<string, unknown> }
    | undefined;
  if (carrier?.esp) out.push(`  ESP               ${JSON.stringify(carrier.esp)}`);
  if (carrier?.dpd) out.push(`  DPD               ${JSON.stringify(carrier.dpd)}`);
  if (c.counters?.l2tp) out.push(`  L2TP              ${JSON.stringify(c.counters.l2tp)}`);
  if (c.counters?.ppp) out.push(`  PPP               ${JSON.stringify(c.counters.ppp)}`);
  if (d.tun) out.push(`  TUN               ${JSON.stringify(d.tun)}`);
  out.push(
    `  secrets stored    ${Object.entries(d.secretsStored)
      .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
      .join(', ')}`,
  );
  out.push(
    `  last ${Math.min(logLines, d.log.length)} of ${d.log.length} log lines:`,
    ...d.log.slice(-logLines).map(logLine),
  );
  return out.join('\n');
}

export function profilesText(list: readonly StoredProfile[], problems: readonly StoreProblem[]): string {
  const out: string[] = [];
  if (!list.length) out.push('no profiles (ferry import <file> adds one)');
  for (const s of list) {
    const p = s.profile;
    const tags = [s.managed ? 'managed' : null, s.locked ? 'locked' : null].filter(Boolean).join(', ');
    out.push(`${p.id.padEnd(24)} ${p.name}${tags ? ` [${tags}]` : ''}`);
    out.push(
      `${''.padEnd(24)} ${p.server}, ${p.userAuth.username}, ${p.routing.mode} tunnel, ${p.userAuth.methods.join('/')}${p.mfa.mode !== 'none' ? `, MFA ${p.mfa.mode}` : ''}`,
    );
    for (const w of s.warnings) out.push(`${''.padEnd(24)} ! ${w}`);
  }
  for (const pr of problems)
    out.push(`problem: ${pr.path}: ${pr.message}`, ...(pr.fields.length ? [fieldErrors(pr.fields)] : []));
  return out.join('\n');
}
