/** Traffic counters, drops by reason, and every layer's raw counters on demand. */
import type { ConnectionCounters } from '../../../core/connection/counters';
import { dropsByReason, findCounter, flatten } from '../../logic/counters';
import { formatBytes, formatCount } from '../../logic/format';

function Stat({
  label,
  value,
  sub,
  testId,
}: {
  label: string;
  value: string;
  sub?: string;
  testId?: string;
}) {
  return (
    <div className="stat" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <span className="stat-value">{value}</span>
        {sub ? <span className="stat-sub">{sub}</span> : null}
      </dd>
    </div>
  );
}

export function Counters({ counters }: { counters: ConnectionCounters | null }) {
  if (!counters)
    return (
      <section className="card" aria-labelledby="counters-heading">
        <h2 id="counters-heading">Traffic</h2>
        <p className="muted">No counters: the tunnel is not up.</p>
      </section>
    );
  const drops = dropsByReason(counters);
  const totalDrops = drops.reduce((n, d) => n + d.count, 0);
  const rekeys = findCounter(counters, /rekey/i);
  const dpd = findCounter(counters, /^dpd\./i);
  const layers = [
    ...flatten(counters.carrier, 'ipsec'),
    ...flatten(counters.l2tp ?? {}, 'l2tp'),
    ...flatten(counters.ppp ?? {}, 'ppp'),
  ];
  return (
    <section className="card" aria-labelledby="counters-heading">
      <h2 id="counters-heading">Traffic</h2>
      <dl className="stats">
        <Stat
          testId="bytes-in"
          label="Received"
          value={formatBytes(counters.ip.bytesIn)}
          sub={`${formatCount(counters.ip.packetsIn)} packets`}
        />
        <Stat
          testId="bytes-out"
          label="Sent"
          value={formatBytes(counters.ip.bytesOut)}
          sub={`${formatCount(counters.ip.packetsOut)} packets`}
        />
        <Stat testId="drops" label="Dropped" value={formatCount(totalDrops)} sub="packets" />
        {rekeys !== null ? <Stat label="Rekeys" value={formatCount(rekeys)} /> : null}
        {dpd !== null ? <Stat label="Dead-peer checks" value={formatCount(dpd)} /> : null}
      </dl>
      {drops.length ? (
        <table className="drops" data-testid="drops-table">
          <caption>Drops by reason</caption>
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Reason</th>
              <th scope="col" className="num">
                Count
              </th>
            </tr>
          </thead>
          <tbody>
            {drops.map((d) => (
              <tr key={`${d.layer}-${d.reason}`}>
                <td>{d.layer}</td>
                <td>{d.reason}</td>
                <td className="num">{formatCount(d.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {layers.length ? (
        <details className="all-counters">
          <summary>All counters ({layers.length})</summary>
          <table>
            <tbody>
              {layers.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className="num">{typeof v === 'number' ? formatCount(v) : v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </section>
  );
}
