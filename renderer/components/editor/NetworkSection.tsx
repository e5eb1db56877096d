/** Routing (split or full tunnel), DNS, the link (MTU/MRU, LCP echo) and the kill switch. */
import { RadioGroup, SwitchField, TextAreaField, TextField } from '../ui/Field';
import { bindSwitch, bindText, type EditorBindings } from './bindings';

export function NetworkSection({ b }: { b: EditorBindings }) {
  const forced = b.policy.forceFullTunnel;
  return (
    <section className="form-section" aria-labelledby="sec-network">
      <h2 id="sec-network">Routing and DNS</h2>
      <RadioGroup<'full' | 'split'>
        name="routingMode"
        legend="Traffic through the VPN"
        value={b.form.routingMode}
        disabled={b.disabled}
        error={b.error('routingMode')}
        help={forced ? 'Your organisation requires all traffic to go through the VPN.' : undefined}
        onChange={(v) => {
          b.set('routingMode', v);
          b.touch('routingMode');
        }}
        options={[
          { value: 'full', label: 'All traffic (full tunnel)' },
          {
            value: 'split',
            label: 'Only these networks (split tunnel)',
            note: 'Everything else uses your normal connection.',
            disabled: forced,
          },
        ]}
      />
      {b.form.routingMode === 'split' ? (
        <TextAreaField
          {...bindText(b, 'subnets')}
          label="Networks (CIDR, one per line)"
          placeholder={'10.0.0.0/8\n192.168.50.0/24'}
          rows={3}
        />
      ) : null}
      <SwitchField {...bindSwitch(b, 'useServerDns')} label="Use the DNS servers the VPN server assigns" />
      <div className="grid-2">
        <TextAreaField
          {...bindText(b, 'dnsServers')}
          label="Custom DNS servers"
          help="IPv4, one per line; used before the server's."
          rows={2}
        />
        <TextAreaField
          {...bindText(b, 'searchDomains')}
          label="Search domains"
          help="e.g. corp.example.com"
          rows={2}
        />
      </div>
      <SwitchField
        {...bindSwitch(b, 'killSwitch')}
        label="Kill switch: block traffic outside the VPN while this profile is active"
      />
      <h3>Link</h3>
      <div className="grid-4">
        <TextField {...bindText(b, 'mtu')} label="MTU" inputMode="numeric" help="576–1500" />
        <TextField {...bindText(b, 'mru')} label="MRU" inputMode="numeric" help="576–1500" />
        <TextField
          {...bindText(b, 'lcpEchoInterval')}
          label="LCP echo every (s)"
          inputMode="numeric"
          help="0 turns it off"
        />
        <TextField
          {...bindText(b, 'lcpEchoFailures')}
          label="Dead after missed echoes"
          inputMode="numeric"
          help="1–20"
        />
      </div>
    </section>
  );
}
