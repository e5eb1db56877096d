/**
 * Imports a certificate (PKCS#12 with password, PEM or DER) through the host and shows what it holds:
 * subject, issuer, validity, SHA-256 fingerprint. The PKCS#12 password is component state, sent once, cleared.
 */
import { useId, useState } from 'react';
import type { CertificateInfo, IpcError } from '../../../core/api/ipc';
import { readBytes } from '../../dom/files';
import {
  bytesToBase64,
  type CertificateFormat,
  certificateWarnings,
  derToPem,
  detectFormat,
  displayFingerprint,
  firstPemCertificate,
  MAX_CERTIFICATE_BYTES,
  normalizeFingerprint,
} from '../../logic/certificates';
import { formatDate } from '../../logic/format';
import { useActions } from '../../store/context';
import type { CertificateRequest } from '../../store/store';
import { Icon } from '../ui/Icon';

const ERROR_TITLES: Readonly<Record<string, string>> = {
  'bad-password': 'Wrong password for this PKCS#12 file',
  'not-a-certificate': 'This file does not contain a certificate',
  'unsupported-format': 'This certificate format is not supported',
  'no-private-key': 'The file has no private key',
  'too-large': 'The file is too large',
  'invalid-arguments': 'The certificate could not be sent',
};

const PROFILE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function CertificateDetails({ info, kind }: { info: CertificateInfo; kind: 'client' | 'ca' }) {
  const warnings = certificateWarnings(info, kind, Date.now());
  return (
    <div className="cert-details">
      <dl className="facts" data-testid={`cert-${kind}-details`}>
        <dt>Subject</dt>
        <dd>{info.subject}</dd>
        <dt>Issuer</dt>
        <dd>{info.issuer}</dd>
        <dt>Valid from</dt>
        <dd>{formatDate(info.notBefore)}</dd>
        <dt>Valid until</dt>
        <dd>{formatDate(info.notAfter)}</dd>
        <dt>SHA-256 fingerprint</dt>
        <dd>
          <code className="fingerprint">{displayFingerprint(info.fingerprintSha256)}</code>
        </dd>
        {kind === 'client' ? (
          <>
            <dt>Private key</dt>
            <dd>{info.hasPrivateKey ? 'Stored in keychain' : 'None'}</dd>
          </>
        ) : null}
      </dl>
      {warnings.map((w) => (
        <p key={w} className="field-warning">
          <Icon name="warning" /> {w}
        </p>
      ))}
    </div>
  );
}

export function CertificateImport({
  profileId,
  kind,
  current,
  onImported,
  disabled,
  error: fieldError,
}: {
  profileId: string;
  kind: 'client' | 'ca';
  /** The profile's current value: a fingerprint (client) or a PEM (CA). */
  current: string;
  onImported: (value: string) => void;
  disabled: boolean;
  error?: string | undefined;
}) {
  const id = useId();
  const { importCertificate } = useActions();
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<CertificateFormat>(kind === 'client' ? 'pkcs12' : 'pem');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [info, setInfo] = useState<CertificateInfo | null>(null);
  const [failure, setFailure] = useState<IpcError | null>(null);
  const title = kind === 'client' ? 'Client certificate' : 'CA certificate';
  const idOk = PROFILE_ID.test(profileId);

  const pick = async (f: File | undefined): Promise<void> => {
    setFailure(null);
    setInfo(null);
    if (!f) {
      setFile(null);
      return;
    }
    const guessed = detectFormat(f.name, await readBytes(f.slice(0, 4096)));
    setFormat(kind === 'ca' && guessed === 'pkcs12' ? 'pem' : guessed);
    setFile(f);
  };

  const run = async (): Promise<void> => {
    if (!file) return;
    setFailure(null);
    if (file.size > MAX_CERTIFICATE_BYTES) {
      setFailure({ code: 'too-large', message: `${file.name} is larger than 1 MiB.` });
      return;
    }
    const bytes = await readBytes(file);
    const text = format === 'pem' ? new TextDecoder().decode(bytes) : '';
    const sentPassword = password;
    setPassword('');
    const request: CertificateRequest =
      format === 'pkcs12'
        ? { format, dataBase64: bytesToBase64(bytes), password: sentPassword }
        : format === 'pem'
          ? { format, text, role: kind }
          : { format, dataBase64: bytesToBase64(bytes), role: kind };
    setBusy(true);
    const r = await importCertificate(profileId, request);
    setBusy(false);
    if (r.type === 'error') {
      setInfo(null);
      setFailure(r.error);
      return;
    }
    setInfo(r.value);
    if (kind === 'client') onImported(normalizeFingerprint(r.value.fingerprintSha256));
    else onImported(format === 'pem' ? (firstPemCertificate(text) ?? text) : derToPem(bytes));
  };

  return (
    <fieldset
      className={`cert-import${fieldError ? ' has-error' : ''}`}
      data-testid={`cert-${kind}`}
      disabled={disabled}
    >
      <legend>
        <Icon name="certificate" /> {title}
      </legend>
      {!info && current ? (
        <p className="muted" data-testid={`cert-${kind}-current`}>
          {kind === 'client' ? (
            <>
              Current: <code className="fingerprint">{displayFingerprint(current)}</code>
            </>
          ) : (
            'A CA certificate is set. Import another to replace it.'
          )}
        </p>
      ) : null}
      <div className="cert-row">
        <div className="field grow">
          <label htmlFor={`${id}-file`}>
            {kind === 'client' ? 'Certificate file (.p12, .pfx, .pem, .der)' : 'CA file (.pem, .crt, .der)'}
          </label>
          <input
            id={`${id}-file`}
            type="file"
            accept={kind === 'client' ? '.p12,.pfx,.pem,.crt,.cer,.der' : '.pem,.crt,.cer,.der'}
            onChange={(e) => void pick(e.target.files?.[0])}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-format`}>Format</label>
          <select
            id={`${id}-format`}
            value={format}
            onChange={(e) => setFormat(e.target.value as CertificateFormat)}
          >
            {kind === 'client' ? <option value="pkcs12">PKCS#12</option> : null}
            <option value="pem">PEM</option>
            <option value="der">DER</option>
          </select>
        </div>
      </div>
      {format === 'pkcs12' ? (
        <div className="field">
          <label htmlFor={`${id}-password`}>PKCS#12 password</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="off"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
      ) : null}
      <div className="button-row">
        <button
          type="button"
          className="button secondary"
          disabled={!file || busy || !idOk}
          onClick={() => void run()}
        >
          {busy ? 'Importing…' : `Import ${kind === 'client' ? 'certificate' : 'CA'}`}
        </button>
        {!idOk ? <span className="field-help">Set the profile ID first.</span> : null}
      </div>
      {failure ? (
        <div className="callout error" role="alert" data-testid={`cert-${kind}-error`}>
          <Icon name="warning" />
          <div>
            <strong>{ERROR_TITLES[failure.code] ?? 'The certificate could not be imported'}</strong>
            <p>
              {failure.message}
              {failure.hint ? ` — ${failure.hint}` : ''}
            </p>
          </div>
        </div>
      ) : null}
      {info ? <CertificateDetails info={info} kind={kind} /> : null}
      {fieldError ? <p className="field-error">{fieldError}</p> : null}
    </fieldset>
  );
}
