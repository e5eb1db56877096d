/** Name, ID, server and the server's expected identity. */
import type { RemoteIdType } from '../../logic/profileForm';
import { SelectField, TextField } from '../ui/Field';
import { bindText, type EditorBindings } from './bindings';

const REMOTE_ID_TYPES: ReadonlyArray<{ value: RemoteIdType; label: string }> = [
  { value: 'auto', label: 'Not checked (use the server address)' },
  { value: 'ipv4', label: 'IPv4 address' },
  { value: 'fqdn', label: 'Host name (FQDN)' },
  { value: 'user-fqdn', label: 'E-mail style (user@fqdn)' },
  { value: 'dn', label: 'Distinguished name (certificate)' },
];

export function GeneralSection({
  b,
  isNew,
  onName,
}: {
  b: EditorBindings;
  isNew: boolean;
  onName: (v: string) => void;
}) {
  return (
    <section className="form-section" aria-labelledby="sec-general">
      <h2 id="sec-general">Connection</h2>
      <div className="grid-2">
        <TextField {...bindText(b, 'name')} label="Name" required onChange={onName} />
        {isNew ? (
          <TextField
            {...bindText(b, 'id')}
            label="Profile ID"
            help="Lowercase letters, digits, . _ - ; used for the keychain and files."
          />
        ) : (
          <div className="field">
            <span className="label">Profile ID</span>
            <p className="readonly-value">
              <code>{b.form.id}</code>
            </p>
          </div>
        )}
      </div>
      <TextField
        {...bindText(b, 'server')}
        label="Server"
        required
        placeholder="vpn.example.com or 203.0.113.10"
        inputMode="url"
      />
      <div className="grid-2">
        <SelectField
          id="remoteIdType"
          label="Server identity (remote ID)"
          value={b.form.remoteIdType}
          options={REMOTE_ID_TYPES}
          disabled={b.disabled}
          onChange={(v) => {
            b.set('remoteIdType', v as RemoteIdType);
            b.touch('remoteIdType');
          }}
          error={b.error('remoteIdType')}
        />
        {b.form.remoteIdType !== 'auto' ? (
          <TextField
            {...bindText(b, 'remoteIdValue')}
            label="Expected identity"
            help="What the server must present in IKE phase 1."
          />
        ) : null}
      </div>
    </section>
  );
}
