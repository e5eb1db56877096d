import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_METHODS, standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };
const dir = mkdtempSync(join(tmpdir(), 'ferry-e2e-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('profile editor', () => {
  it('creates a profile with inline, field-level validation', async () => {
    const { app, page, ferry } = await suite.open();
    const ed = await app.newProfile();
    expect(await page.getByRole('heading', { name: 'New profile' }).count()).toBe(1);

    // Saving an empty form: every required field says why, the summary counts them, focus goes to the first.
    await ed.save();
    await ed.errorSummary.waitFor();
    expect(await ed.errorSummary.textContent()).toContain('Fix the 4 highlighted fields');
    expect(await ed.errorOf('Name')).toBe('required');
    expect(await ed.errorOf('Profile ID')).toBe('lowercase letters, digits, . _ - (max 64)');
    expect(await ed.errorOf('Server')).toBe('required');
    expect(await ed.errorOf('User name')).toBe('required');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('name');

    // The ID follows the name until edited; errors clear as fields become valid.
    await ed.enter('Name', 'Branch Office');
    expect(await ed.field('Profile ID').inputValue()).toBe('branch-office');
    expect(await ed.errorOf('Name')).toBeNull();
    await ed.enter('Server', 'not a host!');
    expect(await ed.errorOf('Server')).toBe('not an IPv4 address or host name');
    await ed.enter('Server', 'branch.example.com');
    expect(await ed.errorOf('Server')).toBeNull();
    await ed.enter('User name', 'erin');

    // Split tunnel: each bad line is named.
    await ed.choose('Traffic through the VPN', 'Only these networks (split tunnel)');
    await ed.enter('Networks (CIDR, one per line)', '10.0.0.0/8\n10.1.0.300/16');
    expect(await ed.errorOf('Networks (CIDR, one per line)')).toBe(
      'Line 2 (10.1.0.300/16): not a subnet like 10.0.0.0/8',
    );
    await ed.enter('Networks (CIDR, one per line)', '10.0.0.0/8\n10.1.0.0/16');

    await ed.enter('MTU', 'abc');
    expect(await ed.errorOf('MTU')).toBe('enter a whole number');
    await ed.enter('MTU', '9000');
    expect(await ed.errorOf('MTU')).toBe('must be at most 1500');
    await ed.enter('MTU', '1380');

    // OTP appended to the password needs PAP; allowing PAP shows a warning.
    await ed.choose('Second factor (MFA)', 'One-time code appended to the password');
    expect(await ed.groupError('Second factor (MFA)')).toContain('needs PAP');
    await ed.method('PAP').check();
    expect(await ed.groupError('Second factor (MFA)')).toBeNull();
    expect(await ed.groupWarning('Allowed methods')).toContain('PAP sends your password unhashed');
    await ed.enter('Separator between password and code', ',');

    await ed.fill('Pre-shared key', 'branch-psk-value');
    await ed.fill('Password', 'erin-password-value');
    await ed.save();

    await expect.poll(() => app.panel.title.textContent(), POLL).toBe('Branch Office');
    expect(await app.list.names()).toContain('Branch Office');
    await app.notice('Saved “Branch Office”').waitFor();
    const p = ferry.profile('branch-office');
    expect(p).toMatchObject({
      server: 'branch.example.com',
      mtu: 1380,
      routing: { mode: 'split', subnets: ['10.0.0.0/8', '10.1.0.0/16'] },
      userAuth: { username: 'erin', methods: [...DEFAULT_METHODS, 'pap'] },
      mfa: { mode: 'otp-append', separator: ',' },
    });
    expect(ferry.secretsReceived).toEqual([
      { profileId: 'branch-office', kind: 'psk', value: 'branch-psk-value' },
      { profileId: 'branch-office', kind: 'password', value: 'erin-password-value' },
    ]);
  });

  it("maps the host's field errors onto the inputs and says the typed secrets were not kept", async () => {
    const { app, ferry } = await suite.open();
    const ed = await app.newProfile();
    await ed.enter('Name', 'Typo');
    await ed.enter('Server', 'vpn.corp.invalid');
    await ed.enter('User name', 'frank');
    await ed.fill('Pre-shared key', 'typo-psk');
    await ed.save();
    await expect
      .poll(() => ed.errorOf('Server'), POLL)
      .toBe('vpn.corp.invalid does not resolve (DNS lookup failed)');
    expect(await ed.errorSummary.textContent()).toContain('Fix the highlighted field');
    expect(await app.page.getByText('The secrets you typed were not kept').count()).toBe(1);
    expect(await ed.field('Pre-shared key').inputValue()).toBe('');
    // The host saves nothing of a rejected profile, secrets included.
    expect(ferry.secretsReceived).toEqual([]);
    // Editing the field clears the host's error.
    await ed.fill('Server', 'vpn.corp.example');
    expect(await ed.errorOf('Server')).toBeNull();
    await ed.fill('Pre-shared key', 'typo-psk');
    await ed.save();
    await expect.poll(() => app.panel.title.textContent(), POLL).toBe('Typo');
    expect(ferry.secretsReceived).toEqual([{ profileId: 'typo', kind: 'psk', value: 'typo-psk' }]);
  });

  it('keeps secrets write-only: shows "stored in keychain", replaces on request', async () => {
    const { app, ferry } = await suite.open();
    await app.panel.open('Edit');
    const ed = app.editor;
    await ed.stored('psk').waitFor();
    expect(await ed.stored('psk').textContent()).toContain('Stored in keychain');
    expect(await ed.stored('password').textContent()).toContain('Stored in keychain');
    expect(await ed.form.locator('input[type=password]').count()).toBe(0);

    await ed.form.getByRole('button', { name: 'Replace pre-shared key' }).click();
    expect(await ed.field('Pre-shared key').inputValue()).toBe('');
    await ed.fill('Pre-shared key', 'rotated-psk');
    await ed.enter('Name', 'Office Berlin Mitte');
    await ed.save();
    await expect.poll(() => app.list.names(), POLL).toContain('Office Berlin Mitte');
    await ed.stored('psk').waitFor();
    expect(await ed.form.locator('input[type=password]').count()).toBe(0);
    expect(ferry.secretsReceived).toEqual([{ profileId: 'office', kind: 'psk', value: 'rotated-psk' }]);

    await ed.form.getByRole('button', { name: 'Remove password from keychain' }).click();
    await ed.field('Password').waitFor();
    expect(ferry.hasSecret('office', 'password')).toBe(false);
  });

  it('shows a managed profile locked and read-only', async () => {
    const { app } = await suite.open();
    expect(await app.list.isManaged('Corporate')).toBe(true);
    await app.list.select('Corporate');
    expect(await app.panel.title.textContent()).toContain('Managed · locked');
    await app.panel.open('Edit');
    await app.editor.lockedBanner.waitFor();
    expect(await app.editor.field('Server').isDisabled()).toBe(true);
    expect(await app.editor.field('User name').isDisabled()).toBe(true);
    expect(await app.editor.saveButton.isDisabled()).toBe(true);
    expect(await app.editor.form.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    // Connecting a locked profile is still allowed.
    expect(await app.list.toggle('Corporate').isEnabled()).toBe(true);
  });

  it("applies the organisation's policy: no PAP, no split tunnel, no legacy", async () => {
    const { app } = await suite.open(
      standardHost({ policy: { forbidPap: true, forceFullTunnel: true, forbidLegacy: true } }),
    );
    const ed = await app.newProfile();
    expect(await ed.method('PAP').isDisabled()).toBe(true);
    expect(await ed.group('Allowed methods').textContent()).toContain('Not allowed by your organisation.');
    expect(
      await ed
        .group('Traffic through the VPN')
        .getByRole('radio', { name: /split tunnel/ })
        .isDisabled(),
    ).toBe(true);
    await ed.showAlgorithms();
    expect(await ed.switch('Legacy compatibility (3DES, MODP-1024, MD5)').isDisabled()).toBe(true);
  });

  it('flags legacy proposals unless the legacy switch is on, and warns when it is', async () => {
    const { app } = await suite.open();
    await app.panel.open('Edit');
    const ed = app.editor;
    await ed.showAlgorithms();
    await ed.enter('IKE phase 1 proposals', 'aes256-sha256-modp2048\n3des-sha1-modp1024');
    expect(await ed.errorOf('IKE phase 1 proposals')).toMatch(
      /^Line 2 \(3des-sha1-modp1024\): uses a legacy algorithm/,
    );
    const legacy = ed.switch('Legacy compatibility (3DES, MODP-1024, MD5)');
    await legacy.check();
    expect(await ed.errorOf('IKE phase 1 proposals')).toBeNull();
    expect(await ed.warningOf('Legacy compatibility (3DES, MODP-1024, MD5)')).toContain('broken or weak');
    await ed.enter('ESP phase 2 proposals', 'aes256-sha256\nchacha20');
    expect(await ed.errorOf('ESP phase 2 proposals')).toBe(
      'Line 2 (chacha20): not a phase-2 proposal like aes256-sha256 or aes256gcm16',
    );
  });

  it('exports a .ferry.json without secrets and imports it back; rejects a bad file with its field errors', async () => {
    const { app } = await suite.open();
    await app.panel.open('Edit');
    const download = await app.exportProfile();
    expect(download.suggestedFilename()).toBe('office.ferry.json');
    const file = join(dir, 'office.ferry.json');
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      format: 'ferry-profile',
      version: 1,
      profile: { id: 'office' },
    });
    expect(text).not.toContain('stored-psk-office');
    expect(text).not.toContain('stored-pw-office');

    await app.importProfile(file);
    await expect.poll(() => app.panel.title.textContent(), POLL).toBe('Office Berlin (2)');
    await app.notice('Imported “Office Berlin (2)”').waitFor();

    const bad = join(dir, 'bad.ferry.json');
    writeFileSync(
      bad,
      JSON.stringify({
        format: 'ferry-profile',
        version: 1,
        profile: { id: 'x', name: 'X', server: 'x.example', mtu: 9000, userAuth: { username: 'u' } },
      }),
    );
    await app.importProfile(bad);
    const notice = app.notice('Could not import bad.ferry.json');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('profile.mtu');
  });

  it('deletes a profile after a confirmation', async () => {
    const { app, ferry } = await suite.open();
    await app.list.select('HQ (push)');
    await app.panel.open('Edit');
    await app.editor.form.getByRole('button', { name: 'Delete…' }).click();
    await app.editor.form.getByRole('button', { name: 'Delete for good' }).click();
    await expect.poll(() => app.list.names(), POLL).not.toContain('HQ (push)');
    expect(ferry.hasSecret('hq-push', 'psk')).toBe(false);
    expect(await app.panel.title.textContent()).toBe('Office Berlin');
  });
});
