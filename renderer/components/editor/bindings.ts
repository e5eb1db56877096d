/** What each editor section gets: the form, setters, and the error/warning to show for each input. */
import type { Policy, ProfileView } from '../../../core/api/ipc';
import type { FormField, ProfileForm } from '../../logic/profileForm';

export type StringField = { [K in FormField]: ProfileForm[K] extends string ? K : never }[FormField];
export type BooleanField = { [K in FormField]: ProfileForm[K] extends boolean ? K : never }[FormField];

export interface EditorBindings {
  readonly form: ProfileForm;
  readonly view: ProfileView | null;
  readonly policy: Policy;
  readonly disabled: boolean;
  set<K extends FormField>(field: K, value: ProfileForm[K]): void;
  touch(field: FormField): void;
  error(field: FormField): string | undefined;
  warning(field: FormField): string | undefined;
}

/** Props for a TextField/TextAreaField bound to a string field (ids are the field names). */
export function bindText(b: EditorBindings, field: StringField) {
  return {
    id: field,
    value: b.form[field],
    onChange: (v: string) => b.set(field, v),
    onBlur: () => b.touch(field),
    error: b.error(field),
    warning: b.warning(field),
    disabled: b.disabled,
  };
}

export function bindSwitch(b: EditorBindings, field: BooleanField) {
  return {
    id: field,
    checked: b.form[field],
    onChange: (v: boolean) => {
      b.set(field, v);
      b.touch(field);
    },
    error: b.error(field),
    warning: b.warning(field),
    disabled: b.disabled,
  };
}
