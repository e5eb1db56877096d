import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateFixtures, makeCertificates } from './support/certificateFixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
let certs: CertificateFixtures;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.cleanup());

async function openCertificateEditor() {
  const opened = await suite.open();
  await opened.app.panel.open('Edit');
  await opened.app.editor.choose('Method', 'Certificate');
  await opened.app.clientCertificate.box.waitFor();
  return opened;
}

describe('certificate import', () => {
  it('imports a PKCS#12 with its password and shows subject, issuer, validity and fingerprint', async () => {
    const { app, ferry } = await openCertificateEditor();
    const client = app.clientCertificate;
    await client.chooseFile(certs.clientP12Path);
    await expect.poll(() => client.format.inputValue()).toBe('pkcs12');

    await client.password.fill('not-the-password');
    await client.import();
    await client.error.waitFor();
    expect(await client.error.textContent()).toContain('Wrong password for this PKCS#12 file');
    expect(await client.error.textContent()).toContain('Enter the password that protects the .p12 file');
    expect(await client.password.inputValue()).toBe('');

    await client.password.fill(certs.clientP12Password);
    await client.import();
    const d = await client.details();
    expect(d.Subject).toBe('O=Example Corp, CN=alice@example.com');
    expect(d.Issuer).toBe('O=Example Corp, CN=Example VPN CA');
    expect(d['Valid from']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(d['Valid until']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(d['SHA-256 fingerprint']).toBe(certs.clientFingerprint);
    expect(d['Private key']).toBe('Stored in keychain');
    expect(await client.warnings()).toEqual([]);
    expect(await client.error.count()).toBe(0);
    expect(ferry.secretsReceived.map((s) => s.kind)).toEqual(['pkcs12-password', 'pkcs12-password']);

    const ca = app.caCertificate;
    await ca.chooseFile(certs.caPath);
    await expect.poll(() => ca.format.inputValue()).toBe('pem');
    await ca.import();
    const c = await ca.details();
    expect(c.Subject).toBe('O=Example Corp, CN=Example VPN CA');
    expect(c['SHA-256 fingerprint']).toBe(certs.caFingerprint);
    expect(await ca.warnings()).toEqual([]);

    await app.editor.save();
    await app.notice('Saved “Office Berlin”').waitFor();
    const auth = ferry.profile('office')?.machineAuth;
    expect(auth).toEqual({
      method: 'certificate',
      clientCertificate: certs.clientFingerprint.replaceAll(':', '').toLowerCase(),
      caCertificatePem: certs.caPem.trim(),
    });
  });

  it('imports a DER CA and converts it to the PEM the profile stores', async () => {
    const { app, ferry } = await openCertificateEditor();
    await app.caCertificate.chooseFile(certs.caDerPath);
    await expect.poll(() => app.caCertificate.format.inputValue()).toBe('der');
    await app.caCertificate.import();
    expect((await app.caCertificate.details())['SHA-256 fingerprint']).toBe(certs.caFingerprint);
    await app.clientCertificate.chooseFile(certs.clientP12Path);
    await expect.poll(() => app.clientCertificate.format.inputValue()).toBe('pkcs12');
    await app.clientCertificate.password.fill(certs.clientP12Password);
    await app.clientCertificate.import();
    await app.clientCertificate.detailsList.waitFor();
    await app.editor.save();
    await app.notice('Saved “Office Berlin”').waitFor();
    const auth = ferry.profile('office')?.machineAuth;
    if (auth?.method !== 'certificate') throw new Error('expected a certificate profile');
    expect(auth.caCertificatePem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----$/,
    );
    expect(new X509Certificate(auth.caCertificatePem).fingerprint256).toBe(certs.caFingerprint);
  });

  it('warns about a client certificate without its key and a CA that is not a CA', async () => {
    const { app } = await openCertificateEditor();
    await app.clientCertificate.format.waitFor();
    await app.clientCertificate.chooseFile(certs.clientPemPath);
    await expect.poll(() => app.clientCertificate.format.inputValue()).toBe('pem');
    await app.clientCertificate.import();
    expect(await app.clientCertificate.warnings()).toEqual([
      ' No private key was found: import a PKCS#12 file or a PEM file that includes the key.',
    ]);
    await app.caCertificate.chooseFile(certs.clientPemPath);
    await expect.poll(() => app.caCertificate.format.inputValue()).toBe('pem');
    await app.caCertificate.import();
    await app.caCertificate.detailsList.waitFor();
    expect(await app.caCertificate.warnings()).toEqual([
      ' This is not a CA certificate; choose the certificate of the issuing CA.',
    ]);
  });

  it('names the problem when a file is not a certificate', async () => {
    const { app } = await openCertificateEditor();
    const junk = join(certs.dir, 'notes.pem');
    writeFileSync(junk, 'these are not the certificates you are looking for\n');
    await app.caCertificate.chooseFile(junk);
    await expect.poll(() => app.caCertificate.format.inputValue()).toBe('der');
    await app.caCertificate.format.selectOption('pem');
    await app.caCertificate.import();
    await app.caCertificate.error.waitFor();
    expect(await app.caCertificate.error.textContent()).toContain('This file does not contain a certificate');
    expect(await app.caCertificate.error.textContent()).toContain('if it is binary, choose DER');
  });

  it('requires both certificates before a certificate profile saves', async () => {
    const { app } = await openCertificateEditor();
    await app.editor.save();
    await app.editor.errorSummary.waitFor();
    expect(await app.clientCertificate.box.locator('.field-error').textContent()).toBe(
      'expected a SHA-256 fingerprint (64 hex digits)',
    );
    expect(await app.caCertificate.box.locator('.field-error').textContent()).toBe(
      'expected a PEM certificate',
    );
  });
});
