/** Machine authentication (IKE phase 1): pre-shared key or client certificate with its CA. */
import type { SecretKind } from '../../../core/api/ipc';
import { RadioGroup } from '../ui/Field';
import type { EditorBindings } from './bindings';
import { CertificateImport } from './CertificateImport';
import { SecretField } from './SecretField';

export function MachineAuthSection({
  b,
  psk,
  setPsk,
  removeSecret,
  epoch,
}: {
  b: EditorBindings;
  psk: string;
  setPsk: (v: string) => void;
  removeSecret?: ((kind: SecretKind) => void) | undefined;
  epoch: number;
}) {
  return (
    <section className="form-section" aria-labelledby="sec-machine">
      <h2 id="sec-machine">Machine authentication</h2>
      <RadioGroup<'psk' | 'certificate'>
        name="machineAuth"
        legend="Method"
        value={b.form.machineAuth}
        disabled={b.disabled}
        onChange={(v) => b.set('machineAuth', v)}
        error={b.error('machineAuth')}
        options={[
          { value: 'psk', label: 'Pre-shared key', note: 'A shared secret from your IT department.' },
          {
            value: 'certificate',
            label: 'Certificate',
            note: 'A client certificate and the CA that signs the server.',
          },
        ]}
      />
      {b.form.machineAuth === 'psk' ? (
        <SecretField
          key={`psk-${epoch}`}
          id="psk"
          label="Pre-shared key"
          stored={b.view?.secrets.psk ?? false}
          value={psk}
          onChange={setPsk}
          onRemove={removeSecret ? () => removeSecret('psk') : undefined}
          disabled={b.disabled}
        />
      ) : (
        <div className="cert-imports">
          <CertificateImport
            profileId={b.form.id}
            kind="client"
            current={b.form.clientCertificate}
            disabled={b.disabled}
            error={b.error('clientCertificate')}
            onImported={(fp) => {
              b.set('clientCertificate', fp);
              b.touch('clientCertificate');
            }}
          />
          <CertificateImport
            profileId={b.form.id}
            kind="ca"
            current={b.form.caCertificatePem}
            disabled={b.disabled}
            error={b.error('caCertificatePem')}
            onImported={(pem) => {
              b.set('caCertificatePem', pem);
              b.touch('caCertificatePem');
            }}
          />
        </div>
      )}
    </section>
  );
}
