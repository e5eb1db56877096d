/** Labelled form controls with help, warning and error text wired through aria-describedby. */
import type { ReactNode } from 'react';
import { Icon } from './Icon';

export interface FieldMessages {
  readonly help?: ReactNode;
  readonly warning?: string | undefined;
  readonly error?: string | undefined;
}

export function describedBy(id: string, m: FieldMessages): string | undefined {
  const ids = [m.help ? `${id}-help` : '', m.warning ? `${id}-warning` : '', m.error ? `${id}-error` : ''];
  return ids.filter(Boolean).join(' ') || undefined;
}

export function FieldNotes({ id, help, warning, error }: FieldMessages & { id: string }) {
  return (
    <>
      {help ? (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      ) : null}
      {warning ? (
        <p id={`${id}-warning`} className="field-warning">
          <Icon name="warning" /> {warning}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </>
  );
}

interface ControlProps extends FieldMessages {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly onBlur?: () => void;
  readonly disabled?: boolean;
  readonly placeholder?: string;
  readonly className?: string;
}

export function TextField(
  p: ControlProps & {
    type?: 'text' | 'number' | 'search';
    inputMode?: 'text' | 'numeric' | 'decimal' | 'url' | 'email';
    autoComplete?: string;
    spellCheck?: boolean;
    required?: boolean;
  },
) {
  return (
    <div className={`field${p.error ? ' has-error' : ''}${p.className ? ` ${p.className}` : ''}`}>
      {p.required ? (
        <div className="label-row">
          <label htmlFor={p.id}>{p.label}</label>
          <span className="required-mark" aria-hidden="true">
            required
          </span>
        </div>
      ) : (
        <label htmlFor={p.id}>{p.label}</label>
      )}
      <input
        id={p.id}
        name={p.id}
        type={p.type ?? 'text'}
        inputMode={p.inputMode}
        value={p.value}
        placeholder={p.placeholder}
        disabled={p.disabled}
        autoComplete={p.autoComplete ?? 'off'}
        spellCheck={p.spellCheck ?? false}
        required={p.required}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={describedBy(p.id, p)}
        onChange={(e) => p.onChange(e.target.value)}
        onBlur={p.onBlur}
      />
      <FieldNotes id={p.id} help={p.help} warning={p.warning} error={p.error} />
    </div>
  );
}

export function TextAreaField(p: ControlProps & { rows?: number }) {
  return (
    <div className={`field${p.error ? ' has-error' : ''}${p.className ? ` ${p.className}` : ''}`}>
      <label htmlFor={p.id}>{p.label}</label>
      <textarea
        id={p.id}
        name={p.id}
        rows={p.rows ?? 3}
        value={p.value}
        placeholder={p.placeholder}
        disabled={p.disabled}
        spellCheck={false}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={describedBy(p.id, p)}
        onChange={(e) => p.onChange(e.target.value)}
        onBlur={p.onBlur}
      />
      <FieldNotes id={p.id} help={p.help} warning={p.warning} error={p.error} />
    </div>
  );
}

export function SelectField(
  p: ControlProps & { options: ReadonlyArray<{ readonly value: string; readonly label: string }> },
) {
  return (
    <div className={`field${p.error ? ' has-error' : ''}${p.className ? ` ${p.className}` : ''}`}>
      <label htmlFor={p.id}>{p.label}</label>
      <select
        id={p.id}
        name={p.id}
        value={p.value}
        disabled={p.disabled}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={describedBy(p.id, p)}
        onChange={(e) => p.onChange(e.target.value)}
        onBlur={p.onBlur}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldNotes id={p.id} help={p.help} warning={p.warning} error={p.error} />
    </div>
  );
}

/** A checkbox drawn as a switch (role="switch", so it reads as on/off). */
export function SwitchField(
  p: FieldMessages & {
    id: string;
    label: string;
    checked: boolean;
    onChange: (checked: boolean) => void;
    disabled?: boolean;
    tone?: 'danger';
  },
) {
  return (
    <div
      className={`field field-switch${p.tone === 'danger' ? ' danger' : ''}${p.error ? ' has-error' : ''}`}
    >
      <input
        id={p.id}
        name={p.id}
        type="checkbox"
        role="switch"
        aria-checked={p.checked}
        className="switch"
        checked={p.checked}
        disabled={p.disabled}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={describedBy(p.id, p)}
        onChange={(e) => p.onChange(e.target.checked)}
      />
      <label htmlFor={p.id}>{p.label}</label>
      <FieldNotes id={p.id} help={p.help} warning={p.warning} error={p.error} />
    </div>
  );
}

export function RadioGroup<T extends string>(
  p: FieldMessages & {
    name: string;
    legend: string;
    value: T;
    options: ReadonlyArray<{
      readonly value: T;
      readonly label: string;
      readonly note?: string;
      readonly disabled?: boolean;
    }>;
    onChange: (value: T) => void;
    disabled?: boolean;
  },
) {
  return (
    <fieldset
      className={`field radio-group${p.error ? ' has-error' : ''}`}
      id={p.name}
      aria-invalid={p.error ? true : undefined}
      aria-describedby={describedBy(p.name, p)}
      disabled={p.disabled}
    >
      <legend>{p.legend}</legend>
      {p.options.map((o) => (
        <label key={o.value} className="radio">
          <input
            type="radio"
            name={p.name}
            value={o.value}
            checked={p.value === o.value}
            disabled={o.disabled}
            onChange={() => p.onChange(o.value)}
          />
          <span>
            <span className="radio-label">{o.label}</span>
            {o.note ? <span className="radio-note">{o.note}</span> : null}
          </span>
        </label>
      ))}
      <FieldNotes id={p.name} help={p.help} warning={p.warning} error={p.error} />
    </fieldset>
  );
}
