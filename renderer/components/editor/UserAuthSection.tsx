/** User authentication (PPP): user name, password, allowed methods (PAP warned), and the second factor. */
import type { SecretKind } from '../../../core/api/ipc';
import { USER_AUTH_METHODS, type UserAuthMethod } from '../../../core/profile/schema';
import { type MfaMode, toggleMethod } from '../../logic/profileForm';
import { describedBy, FieldNotes, RadioGroup, TextField } from '../ui/Field';
import { bindText, type EditorBindings } from './bindings';
import { SecretField } from './SecretField';

const METHOD_LABELS: Readonly<Record<UserAuthMethod, { label: string; note: string }>> = {
  mschapv2: { label: 'MS-CHAPv2', note: 'Recommended; the server proves it knows your password too.' },
  eap: { label: 'EAP', note: 'EAP-MSCHAPv2 or EAP-MD5, as the server offers.' },
  chap: { label: 'CHAP (MD5)', note: 'Older challenge-response.' },
  pap: { label: 'PAP', note: 'Password sent as is; needed for codes appended to the password.' },
};

export function UserAuthSection({
  b,
  password,
  setPassword,
  removeSecret,
  epoch,
}: {
  b: EditorBindings;
  password: string;
  setPassword: (v: string) => void;
  removeSecret?: ((kind: SecretKind) => void) | undefined;
  epoch: number;
}) {
  const methodsNotes = { error: b.error('methods'), warning: b.warning('methods') };
  return (
    <section className="form-section" aria-labelledby="sec-user">
      <h2 id="sec-user">User authentication</h2>
      <div className="grid-2">
        <TextField {...bindText(b, 'username')} label="User name" required autoComplete="off" />
        <SecretField
          key={`password-${epoch}`}
          id="password"
          label="Password"
          stored={b.view?.secrets.password ?? false}
          value={password}
          onChange={setPassword}
          onRemove={removeSecret ? () => removeSecret('password') : undefined}
          disabled={b.disabled}
        />
      </div>
      <fieldset
        className={`field checkbox-group${methodsNotes.error ? ' has-error' : ''}`}
        id="methods"
        aria-invalid={methodsNotes.error ? true : undefined}
        aria-describedby={describedBy('methods', methodsNotes)}
        disabled={b.disabled}
      >
        <legend>Allowed methods</legend>
        {USER_AUTH_METHODS.map((m) => {
          const forbidden = m === 'pap' && b.policy.forbidPap;
          return (
            <label key={m} className="checkbox">
              <input
                type="checkbox"
                name={`method-${m}`}
                checked={b.form.methods.includes(m)}
                disabled={forbidden}
                onChange={(e) => {
                  b.set('methods', toggleMethod(b.form.methods, m, e.target.checked));
                  b.touch('methods');
                }}
              />
              <span>
                <span className="radio-label">{METHOD_LABELS[m].label}</span>
                <span className="radio-note">
                  {forbidden ? 'Not allowed by your organisation.' : METHOD_LABELS[m].note}
                </span>
              </span>
            </label>
          );
        })}
        <FieldNotes id="methods" {...methodsNotes} />
      </fieldset>
      <RadioGroup<MfaMode>
        name="mfaMode"
        legend="Second factor (MFA)"
        value={b.form.mfaMode}
        disabled={b.disabled}
        error={b.error('mfaMode')}
        onChange={(v) => {
          b.set('mfaMode', v);
          b.touch('mfaMode');
        }}
        options={[
          { value: 'none', label: 'None' },
          {
            value: 'otp-append',
            label: 'One-time code appended to the password',
            disabled: b.policy.forbidPap && b.form.mfaMode !== 'otp-append',
            note: b.policy.forbidPap
              ? 'Not allowed: it needs PAP, which your organisation forbids.'
              : 'You are asked for the code at connect; it is sent after the password. Needs PAP, and only PAP is used: the password and code travel unhashed, protected by IPsec alone.',
          },
          {
            value: 'otp-prompt',
            label: 'One-time code prompt',
            note: 'The server asks for a code after the password.',
          },
          {
            value: 'push',
            label: 'Push approval',
            note: 'Approve the sign-in on your phone; the connect waits for it. Works with MS-CHAPv2 (no PAP needed).',
          },
        ]}
      />
      {b.form.mfaMode === 'otp-append' ? (
        <TextField
          {...bindText(b, 'otpSeparator')}
          label="Separator between password and code"
          help="Often empty or a comma; ask your IT department."
          className="narrow"
        />
      ) : null}
      {b.form.mfaMode === 'push' ? (
        <TextField
          {...bindText(b, 'pushTimeoutSeconds')}
          label="Wait for approval (seconds)"
          inputMode="numeric"
          help="10–300 seconds."
          className="narrow"
        />
      ) : null}
    </section>
  );
}
