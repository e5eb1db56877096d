/**
 * Field-level errors for the profile editor: the shared schema run on the form (inline validation), and the
 * host's `fields` errors (dotted paths like `routing.subnets.2`) mapped onto the same inputs.
 */
import type { z } from 'zod';
import type { FieldError } from '../../core/profile/schema';
import { profileSchema } from '../../core/profile/schema';
import {
  type FormField,
  LIST_FIELDS,
  type ListField,
  type ProfileForm,
  profileFromForm,
  splitList,
} from './profileForm';

export interface FormErrors {
  /** First error per input. */
  readonly fields: Partial<Record<FormField, string>>;
  /** Errors no input owns (shown at the top of the form). */
  readonly general: readonly string[];
}

export const NO_ERRORS: FormErrors = { fields: {}, general: [] };

/** Profile paths → the input that edits them (longest prefix wins). */
const PATH_TO_FIELD: ReadonlyArray<readonly [string, FormField]> = [
  ['id', 'id'],
  ['name', 'name'],
  ['server', 'server'],
  ['remoteId.type', 'remoteIdType'],
  ['remoteId', 'remoteIdValue'],
  ['machineAuth.clientCertificate', 'clientCertificate'],
  ['machineAuth.caCertificatePem', 'caCertificatePem'],
  ['machineAuth', 'machineAuth'],
  ['userAuth.username', 'username'],
  ['userAuth.methods', 'methods'],
  ['userAuth', 'username'],
  ['mfa.separator', 'otpSeparator'],
  ['mfa.timeoutSeconds', 'pushTimeoutSeconds'],
  ['mfa', 'mfaMode'],
  ['routing.subnets', 'subnets'],
  ['routing', 'routingMode'],
  ['dns.servers', 'dnsServers'],
  ['dns.searchDomains', 'searchDomains'],
  ['dns', 'useServerDns'],
  ['mtu', 'mtu'],
  ['mru', 'mru'],
  ['lcpEcho.intervalSeconds', 'lcpEchoInterval'],
  ['lcpEcho.failures', 'lcpEchoFailures'],
  ['algorithms.phase1LifetimeSeconds', 'phase1Lifetime'],
  ['algorithms.phase2LifetimeSeconds', 'phase2Lifetime'],
  ['algorithms.phase1', 'phase1'],
  ['algorithms.phase2', 'phase2'],
  ['algorithms.pfsGroup', 'pfsGroup'],
  ['algorithms.legacy', 'legacy'],
  ['algorithms.onlyTheseProposals', 'onlyTheseProposals'],
  ['killSwitch', 'killSwitch'],
  ['autoConnect', 'autoConnect'],
  ['autoReconnect', 'autoReconnect'],
];

const isListField = (f: FormField): f is ListField => (LIST_FIELDS as readonly string[]).includes(f);

/** Which input owns a dotted path, and the list line it points at (if any). */
export function fieldForPath(path: string): { field: FormField; line?: number } | null {
  const p = path.startsWith('profile.') ? path.slice('profile.'.length) : path;
  for (const [prefix, field] of PATH_TO_FIELD) {
    if (p !== prefix && !p.startsWith(`${prefix}.`)) continue;
    const rest = p.slice(prefix.length + 1);
    if (isListField(field) && /^\d+$/.test(rest)) return { field, line: Number(rest) };
    return { field };
  }
  return null;
}

function place(
  errors: { fields: Partial<Record<FormField, string>>; general: string[] },
  form: ProfileForm,
  path: string,
  message: string,
): void {
  const at = fieldForPath(path);
  if (!at) {
    errors.general.push(path ? `${path}: ${message}` : message);
    return;
  }
  let text = message;
  if (at.line !== undefined && isListField(at.field)) {
    const item = splitList(form[at.field])[at.line];
    text = `Line ${at.line + 1}${item !== undefined ? ` (${item})` : ''}: ${message}`;
  }
  errors.fields[at.field] ??= text;
}

/** Maps the host's field errors (from saveProfile/importProfileFile) onto the editor's inputs. */
export function mapFieldErrors(fields: readonly FieldError[], form: ProfileForm): FormErrors {
  const errors = { fields: {} as Partial<Record<FormField, string>>, general: [] as string[] };
  for (const f of fields) place(errors, form, f.path, f.message);
  return errors;
}

const FORMAT_MESSAGES: Readonly<Record<string, string>> = {
  cidrv4: 'not a subnet like 10.0.0.0/8',
  ipv4: 'not an IPv4 address',
  hostname: 'not a host name',
};

/** Turns a zod issue into a short sentence for a form (the schema's own custom messages are kept). */
export function humanize(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'enter a whole number' : 'required';
    case 'too_small':
      if (issue.origin === 'number') return `must be at least ${issue.minimum}`;
      if (issue.origin === 'string' && Number(issue.minimum) <= 1) return 'required';
      if (issue.origin === 'string') return `at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return Number(issue.minimum) <= 1 ? 'choose at least one' : issue.message;
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${issue.maximum}`;
      if (issue.origin === 'string') return `at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `at most ${issue.maximum} entries`;
      return issue.message;
    case 'invalid_format':
      return FORMAT_MESSAGES[issue.format] ?? issue.message;
    case 'invalid_value':
      return 'choose one of the listed options';
    default:
      return issue.message;
  }
}

/** Runs the shared profile schema on the form: the same rules the host applies. */
export function validateForm(form: ProfileForm): FormErrors {
  const r = profileSchema.safeParse(profileFromForm(form));
  if (r.success) return NO_ERRORS;
  const errors = { fields: {} as Partial<Record<FormField, string>>, general: [] as string[] };
  for (const issue of r.error.issues) place(errors, form, issue.path.map(String).join('.'), humanize(issue));
  return errors;
}

export const hasErrors = (e: FormErrors): boolean => e.general.length > 0 || Object.keys(e.fields).length > 0;
