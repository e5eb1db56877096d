import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateFixtures, makeCertificates } from './support/certificateFixtures';
import { standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };
let certs: CertificateFixtures;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.cleanup());

const PSK = 'psk-Qx7#vT2m-office';
const PASSWORD = 'pw-Lk9!ee3-alice';
const DRAFT_PSK = 'psk-draft-never-saved-8w';
const REJECTED_PSK = 'psk-rejected-save-3c';
const GOOD_OTP = '731904';
const BAD_OTP = '580316';

const count = (haystack: readonly string[], needle: string): number =>
  haystack.reduce((n, s) => n + s.split(needle).length - 1, 0);

describe('secrets', () => {
  it('never keeps a typed secret in the store, the DOM, storage or anything the host sends back', async () => {
    const { app, page, ferry, harness } = await suite.open(standardHost({ otp: { accept: GOOD_OTP } }));

    // PSK and password of an existing profile.
    await app.panel.open('Edit');
    await app.editor.form.getByRole('button', { name: 'Replace pre-shared key' }).click();
    await app.editor.fill('Pre-shared key', PSK);
    await app.editor.form.getByRole('button', { name: 'Replace password' }).click();
    await app.editor.fill('Password', PASSWORD);
    await app.editor.save();
    await app.notice('Saved “Office Berlin”').waitFor();
    await app.editor.stored('psk').waitFor();

    // A PKCS#12 password.
    await app.editor.choose('Method', 'Certificate');
    await app.clientCertificate.chooseFile(certs.clientP12Path);
    await expect.poll(() => app.clientCertificate.format.inputValue(), POLL).toBe('pkcs12');
    await app.clientCertificate.password.fill(certs.clientP12Password);
    await app.clientCertificate.import();
    await app.clientCertificate.detailsList.waitFor();

    // A PSK in a save the host rejects, and a PSK typed into a draft that is cancelled.
    const ed = await app.newProfile();
    await ed.enter('Name', 'Rejected');
    await ed.enter('Server', 'nowhere.invalid');
    await ed.enter('User name', 'x');
    await ed.fill('Pre-shared key', REJECTED_PSK);
    await ed.save();
    await expect.poll(() => ed.errorOf('Server'), POLL).toContain('does not resolve');
    await ed.fill('Pre-shared key', DRAFT_PSK);
    await ed.form.getByRole('button', { name: 'Cancel' }).click();

    // OTP codes, one rejected.
    await app.list.toggle('Lab (code)').click();
    await app.mfa.submit(BAD_OTP);
    await app.mfa.rejected.waitFor();
    await app.mfa.submit(GOOD_OTP);
    await expect.poll(() => app.list.status('Lab (code)').textContent(), POLL).toBe('Connected');

    // Diagnostics export goes through the page too.
    await app.list.select('Lab (code)');
    await app.panel.open('Diagnostics');
    const exported = readFileSync((await (await app.diagnostics.export()).path())!, 'utf8');

    // The host got each sent secret exactly once; the draft never left the page.
    expect(ferry.secretsReceived).toEqual([
      { profileId: 'office', kind: 'psk', value: PSK },
      { profileId: 'office', kind: 'password', value: PASSWORD },
      { profileId: 'office', kind: 'pkcs12-password', value: certs.clientP12Password },
    ]);
    expect(ferry.sim.mfa.otpCodes).toEqual([BAD_OTP, GOOD_OTP]);
    const sent = harness.wire.toHost;
    for (const s of [PSK, PASSWORD, certs.clientP12Password, REJECTED_PSK, BAD_OTP, GOOD_OTP])
      expect(count(sent, s), `${s} sent to the host`).toBe(1);
    expect(count(sent, DRAFT_PSK)).toBe(0);

    const secrets = [PSK, PASSWORD, DRAFT_PSK, REJECTED_PSK, BAD_OTP, GOOD_OTP, certs.clientP12Password];
    const history = await app.storeHistory();
    expect(history.length).toBeGreaterThan(20);
    const pageSide = await page.evaluate(() => ({
      html: document.documentElement.outerHTML,
      values: [...document.querySelectorAll('input, textarea, select')].map(
        (e) => (e as HTMLInputElement).value,
      ),
      storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      cookies: document.cookie,
    }));
    for (const s of secrets) {
      expect(count(history, s), `${s} in a zustand state`).toBe(0);
      expect(count(harness.wire.toPage, s), `${s} in a host response or event`).toBe(0);
      expect(pageSide.html.includes(s), `${s} in the DOM`).toBe(false);
      expect(
        pageSide.values.some((v) => v.includes(s)),
        `${s} in an input`,
      ).toBe(false);
      expect(pageSide.storage.includes(s) || pageSide.cookies.includes(s), `${s} in storage`).toBe(false);
      expect(exported.includes(s), `${s} in the diagnostics export`).toBe(false);
    }
  });
});
