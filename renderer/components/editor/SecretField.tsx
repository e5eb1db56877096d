/**
 * A write-only secret (PSK, password): shows "stored in keychain" when the host has one, never its value.
 * What the user types lives in the editor's component state only, is sent once with the save, then cleared.
 */
import { useState } from 'react';
import { describedBy, FieldNotes } from '../ui/Field';
import { Icon } from '../ui/Icon';

export function SecretField({
  id,
  label,
  stored,
  value,
  onChange,
  onRemove,
  disabled,
  help,
  error,
}: {
  id: string;
  label: string;
  stored: boolean;
  value: string;
  onChange: (value: string) => void;
  onRemove?: () => void;
  disabled: boolean;
  help?: string;
  error?: string | undefined;
}) {
  const [replacing, setReplacing] = useState(false);
  const editing = !stored || replacing || value !== '';
  if (!editing)
    return (
      <fieldset className="field secret-field">
        <legend className="label">{label}</legend>
        <p className="secret-stored" data-testid={`${id}-stored`}>
          <Icon name="key" /> Stored in keychain
        </p>
        <div className="button-row">
          <button
            type="button"
            className="button small secondary"
            disabled={disabled}
            aria-label={`Replace ${label.toLowerCase()}`}
            onClick={() => setReplacing(true)}
          >
            Replace
          </button>
          {onRemove ? (
            <button
              type="button"
              className="button small ghost danger"
              disabled={disabled}
              aria-label={`Remove ${label.toLowerCase()} from keychain`}
              onClick={onRemove}
            >
              Remove
            </button>
          ) : null}
        </div>
      </fieldset>
    );
  const notes = {
    help:
      help ??
      (stored ? 'Leave empty to keep the stored one.' : 'Saved in the keychain, never in the profile.'),
    error,
  };
  return (
    <div className={`field secret-field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <div className="input-row">
        <input
          id={id}
          name={id}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          value={value}
          disabled={disabled}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, notes)}
          onChange={(e) => onChange(e.target.value)}
        />
        {stored ? (
          <button
            type="button"
            className="button small ghost"
            disabled={disabled}
            onClick={() => {
              onChange('');
              setReplacing(false);
            }}
          >
            Keep stored
          </button>
        ) : null}
      </div>
      <FieldNotes id={id} {...notes} />
    </div>
  );
}
