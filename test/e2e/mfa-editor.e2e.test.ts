/**
 * The MFA choices in the profile editor explain the appended-code trade-off (PAP only, unhashed inside IPsec),
 * and a policy that forbids PAP makes that choice unavailable, saying why; push stays available.
 */
import { describe, expect, it } from 'vitest';
import { standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const APPENDED = 'One-time code appended to the password';

describe('MFA choices in the editor', () => {
  it('explains that an appended code means PAP only, and why', async () => {
    const { app } = await suite.open();
    const ed = await app.newProfile();
    const mfa = ed.group('Second factor (MFA)');
    expect(await mfa.getByRole('radio', { name: APPENDED }).isEnabled()).toBe(true);
    await ed.choose('Second factor (MFA)', APPENDED);
    const text = (await mfa.textContent()) ?? '';
    expect(text).toContain('only PAP is used');
    expect(text).toContain('unhashed, protected by IPsec alone');
    expect(text).toContain('Works with MS-CHAPv2 (no PAP needed)');
    // Without PAP among the methods the form says what is missing.
    await ed.method('MS-CHAPv2').check();
    await ed.method('PAP').uncheck();
    await ed.save();
    expect(await ed.groupError('Second factor (MFA)')).toMatch(/needs PAP/);
  });

  it('with PAP forbidden by policy, the appended code cannot be chosen and says why; push can', async () => {
    const { app } = await suite.open(standardHost({ policy: { lockEditing: true, forbidPap: true } }));
    const ed = await app.newProfile();
    const mfa = ed.group('Second factor (MFA)');
    expect(await mfa.getByRole('radio', { name: APPENDED }).isDisabled()).toBe(true);
    expect(await mfa.textContent()).toContain('Not allowed: it needs PAP, which your organisation forbids.');
    expect(await mfa.getByRole('radio', { name: 'Push approval' }).isEnabled()).toBe(true);
    expect(await ed.method('PAP').isDisabled()).toBe(true);
  });
});
