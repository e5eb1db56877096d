/**
 * The profile editor: inline validation with the shared schema (errors shown once a field was left or a save was
 * tried), the host's field errors mapped onto the same inputs, secrets sent once with the save and then cleared.
 */
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import type { ProfileView, SecretKind } from '../../../core/api/ipc';
import { saveTextFile } from '../../dom/download';
import { type FormErrors, hasErrors, mapFieldErrors, NO_ERRORS, validateForm } from '../../logic/formErrors';
import {
  blankForm,
  type FormField,
  formFromProfile,
  formWarnings,
  type ProfileForm,
  profileFromForm,
  suggestId,
} from '../../logic/profileForm';
import { useActions, useFerry } from '../../store/context';
import { SwitchField } from '../ui/Field';
import { Icon } from '../ui/Icon';
import { AlgorithmsSection } from './AlgorithmsSection';
import { bindSwitch, type EditorBindings } from './bindings';
import { GeneralSection } from './GeneralSection';
import { MachineAuthSection } from './MachineAuthSection';
import { NetworkSection } from './NetworkSection';
import { UserAuthSection } from './UserAuthSection';

const sameProfile = (a: ProfileForm, b: ProfileForm): boolean =>
  JSON.stringify(profileFromForm(a)) === JSON.stringify(profileFromForm(b));

export function ProfileEditor({ view }: { view: ProfileView | null }) {
  const isNew = view === null;
  const policy = useFerry((s) => s.policy);
  const { saveProfile, clearSecret, exportProfile, deleteProfile, show, reportError, notify } = useActions();
  const initial = useMemo(() => (view ? formFromProfile(view.profile) : blankForm()), [view]);
  const [saved, setSaved] = useState<ProfileForm>(initial);
  const [form, setForm] = useState<ProfileForm>(initial);
  const [touched, setTouched] = useState<ReadonlySet<FormField>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FormErrors>(NO_ERRORS);
  const [idEdited, setIdEdited] = useState(!isNew);
  // Secrets: component state only (never in the store), sent once with the save, then cleared.
  const [psk, setPsk] = useState('');
  const [password, setPassword] = useState('');
  const [secretsLost, setSecretsLost] = useState(false);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [focusErrors, setFocusErrors] = useState(0);
  // Bumped after a save or revert: the secret fields go back to "stored in keychain".
  const [epoch, setEpoch] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  const disabled = view?.locked ?? false;
  const clientErrors = useMemo(() => validateForm(form), [form]);
  const warnings = useMemo(() => formWarnings(form), [form]);
  const dirty = !sameProfile(form, saved) || psk !== '' || password !== '';

  useEffect(() => {
    if (!focusErrors) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .has-error input')?.focus();
  }, [focusErrors]);

  const b: EditorBindings = {
    form,
    view,
    policy,
    disabled,
    set(field, value) {
      setForm((f) => ({ ...f, [field]: value }));
      if (field === 'id') setIdEdited(true);
      if (serverErrors.fields[field])
        setServerErrors((e) => ({ ...e, fields: { ...e.fields, [field]: undefined } }));
    },
    touch(field) {
      setTouched((t) => (t.has(field) ? t : new Set([...t, field])));
    },
    error(field) {
      return (
        serverErrors.fields[field] ??
        (submitted || touched.has(field) ? clientErrors.fields[field] : undefined)
      );
    },
    warning(field) {
      return warnings[field];
    },
  };

  const onName = (name: string): void => {
    setForm((f) => ({ ...f, name, ...(isNew && !idEdited ? { id: suggestId(name) } : {}) }));
  };

  const removeSecret = view
    ? (kind: SecretKind): void => {
        void clearSecret(view.profile.id, kind);
      }
    : undefined;

  const reset = (to: ProfileForm): void => {
    setForm(to);
    setSaved(to);
    setTouched(new Set());
    setSubmitted(false);
    setServerErrors(NO_ERRORS);
    setEpoch((n) => n + 1);
  };

  const onSubmit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitted(true);
    setSecretsLost(false);
    if (hasErrors(clientErrors)) {
      setFocusErrors((n) => n + 1);
      return;
    }
    const secrets = { ...(psk ? { psk } : {}), ...(password ? { password } : {}) };
    const sentSecrets = Object.keys(secrets).length > 0;
    setPsk('');
    setPassword('');
    setSaving(true);
    const r = await saveProfile(profileFromForm(form), sentSecrets ? secrets : undefined);
    setSaving(false);
    if (r.type === 'success') {
      reset(formFromProfile(r.value.profile));
      return;
    }
    setSecretsLost(sentSecrets);
    if (r.error.fields?.length) {
      setServerErrors(mapFieldErrors(r.error.fields, form));
      setFocusErrors((n) => n + 1);
    } else {
      reportError('Could not save the profile', r.error);
    }
  };

  const onExport = async (): Promise<void> => {
    if (!view) return;
    const file = await exportProfile(view.profile.id);
    if (file) {
      saveTextFile(file.fileName, file.text);
      notify('success', 'Profile exported', `${file.fileName} (without secrets)`);
    }
  };

  const errorCount =
    Object.values(serverErrors.fields).filter(Boolean).length +
    (submitted ? Object.keys(clientErrors.fields).length : 0);
  const general = [...serverErrors.general, ...(submitted ? clientErrors.general : [])];

  return (
    <form
      ref={formRef}
      className="profile-editor"
      aria-labelledby={isNew ? 'editor-title' : undefined}
      aria-label={isNew ? undefined : `Edit ${view.profile.name}`}
      noValidate
      onSubmit={(e) => void onSubmit(e)}
    >
      {isNew ? (
        <header className="panel-header">
          <div className="panel-title">
            <h1 id="editor-title">New profile</h1>
            <p className="panel-subtitle">Details come from your IT department.</p>
          </div>
        </header>
      ) : null}
      {disabled ? (
        <p className="callout info" data-testid="locked-banner">
          <Icon name="lock" /> This profile is managed by your organisation and cannot be changed here.
        </p>
      ) : null}
      {errorCount > 0 || general.length > 0 ? (
        <div className="callout error" role="alert" data-testid="form-errors">
          <Icon name="warning" />
          <div>
            <strong>
              {errorCount > 0
                ? `Fix ${errorCount === 1 ? 'the highlighted field' : `the ${errorCount} highlighted fields`} to save.`
                : 'The profile could not be saved.'}
            </strong>
            {general.map((g) => (
              <p key={g}>{g}</p>
            ))}
          </div>
        </div>
      ) : null}
      {secretsLost ? (
        <p className="callout warning" role="status">
          <Icon name="warning" /> The secrets you typed were not kept. Enter them again before saving.
        </p>
      ) : null}
      <fieldset className="editor-body" disabled={disabled}>
        <GeneralSection b={b} isNew={isNew} onName={onName} />
        <MachineAuthSection b={b} psk={psk} setPsk={setPsk} removeSecret={removeSecret} epoch={epoch} />
        <UserAuthSection
          b={b}
          password={password}
          setPassword={setPassword}
          removeSecret={removeSecret}
          epoch={epoch}
        />
        <NetworkSection b={b} />
        <AlgorithmsSection b={b} />
        <section className="form-section" aria-labelledby="sec-behaviour">
          <h2 id="sec-behaviour">Behaviour</h2>
          <SwitchField {...bindSwitch(b, 'autoConnect')} label="Connect automatically when Ferry starts" />
          <SwitchField {...bindSwitch(b, 'autoReconnect')} label="Reconnect automatically after a drop" />
        </section>
      </fieldset>
      <footer className="editor-footer">
        {!isNew ? (
          <div className="footer-secondary">
            <button type="button" className="button ghost" onClick={() => void onExport()}>
              <Icon name="download" /> Export
            </button>
            {!view.managed ? (
              confirmDelete ? (
                <>
                  <button
                    type="button"
                    className="button danger"
                    onClick={() => void deleteProfile(view.profile.id)}
                  >
                    Delete for good
                  </button>
                  <button type="button" className="button ghost" onClick={() => setConfirmDelete(false)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" className="button ghost danger" onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
              )
            ) : null}
          </div>
        ) : null}
        <div className="footer-primary">
          {dirty && !disabled ? <span className="dirty-note">Unsaved changes</span> : null}
          {isNew ? (
            <button type="button" className="button secondary" onClick={() => show('status')}>
              Cancel
            </button>
          ) : (
            <button
              type="button"
              className="button secondary"
              disabled={!dirty || disabled}
              onClick={() => {
                reset(saved);
                setPsk('');
                setPassword('');
              }}
            >
              Revert
            </button>
          )}
          <button type="submit" className="button primary" disabled={saving || disabled}>
            {saving ? 'Saving…' : isNew ? 'Create profile' : 'Save'}
          </button>
        </div>
      </footer>
    </form>
  );
}
