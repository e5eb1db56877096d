import { describe, expect, it } from 'vitest';
import { CONNECT_PHASES, PHASE_LABELS } from '../../core/common/errors';
import { standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };

describe('connect toggle', () => {
  it('walks through every phase to connected, shows the IP, and disconnects', async () => {
    const { app, ferry } = await suite.open(standardHost({ pace: { mode: 'manual' } }));
    const toggle = app.list.toggle('Office Berlin');
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.click();
    for (const [i, phase] of CONNECT_PHASES.entries()) {
      await expect
        .poll(() => app.list.status('Office Berlin').textContent(), POLL)
        .toBe(`Connecting — ${PHASE_LABELS[phase]}`);
      expect(await app.list.detail('Office Berlin').textContent()).toBe(
        `Step ${i + 1} of ${CONNECT_PHASES.length}`,
      );
      expect(await toggle.getAttribute('aria-checked')).toBe('true');
      ferry.sim.step('office');
    }
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
    expect(await app.list.detail('Office Berlin').textContent()).toBe('IP 10.8.0.23');
    expect(await app.panel.localIp.textContent()).toBe('10.8.0.23');
    expect(await app.panel.connectButton.textContent()).toBe('Disconnect');

    await toggle.click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Disconnected');
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    expect(ferry.sim.view('office')?.state).toEqual({ kind: 'disconnected', reason: 'user' });
  });

  it('cancels a connect in progress from the same toggle', async () => {
    const { app, ferry } = await suite.open(standardHost({ pace: { mode: 'manual' } }));
    await app.list.toggle('Office Berlin').click();
    await expect
      .poll(() => app.list.status('Office Berlin').textContent(), POLL)
      .toBe('Connecting — IKE phase 1');
    expect(await app.panel.connectButton.textContent()).toBe('Cancel');
    await app.panel.connectButton.click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Disconnected');
    expect(ferry.sim.view('office')?.phases[0]).toMatchObject({ phase: 'ike-phase1', result: 'skipped' });
  });

  it('shows the failing phase and its hint in the list and on the status tab', async () => {
    const { app, ferry } = await suite.open();
    ferry.sim.script('office', {
      kind: 'fail',
      phase: 'ike-phase1',
      code: 'auth-failed',
      message: 'authentication failed',
      hint: 'check the pre-shared key',
    });
    await app.list.toggle('Office Berlin').click();
    await expect
      .poll(() => app.list.status('Office Berlin').textContent(), POLL)
      .toBe('Failed — IKE phase 1');
    expect(await app.list.detail('Office Berlin').textContent()).toBe('check the pre-shared key');
    expect(await app.list.toggle('Office Berlin').getAttribute('aria-checked')).toBe('false');
    const failure = app.panel.failure;
    expect(await failure.getByRole('heading').textContent()).toBe('IKE phase 1 failed');
    expect(await failure.textContent()).toContain('check the pre-shared key');
    expect(await failure.textContent()).toContain('auth-failed');
    // A failed profile connects again from the same toggle.
    ferry.sim.script('office', { kind: 'connect' });
    await app.list.toggle('Office Berlin').click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
  });

  it('reports a connect the host refuses (no PSK stored) without changing the state', async () => {
    const { app } = await suite.open(standardHost({ secrets: {} }));
    await app.list.toggle('Office Berlin').click();
    const notice = app.notice('Could not connect');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('Edit the profile and enter the pre-shared key');
    expect(await notice.getAttribute('role')).toBe('alert');
    expect(await app.list.status('Office Berlin').textContent()).toBe('Disconnected');
    expect(await app.list.toggle('Office Berlin').isEnabled()).toBe(true);
  });

  it('shows a peer drop and the pending automatic reconnect', async () => {
    const { app, ferry } = await suite.open();
    await app.list.toggle('Office Berlin').click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
    ferry.sim.dropPeer('office', 30_000);
    await expect
      .poll(() => app.list.status('Office Berlin').textContent(), POLL)
      .toMatch(/^Reconnecting in 0:(30|29|28)$/);
    expect(await app.list.detail('Office Berlin').textContent()).toBe('Attempt 1');
    // The toggle stays on while a reconnect is pending; switching it off cancels the reconnect.
    expect(await app.list.toggle('Office Berlin').getAttribute('aria-checked')).toBe('true');
    await app.list.toggle('Office Berlin').click();
    await expect
      .poll(() => app.list.status('Office Berlin').textContent(), POLL)
      .toBe('Disconnected by the server');
  });

  it('runs several profiles at once, each with its own status', async () => {
    const { app } = await suite.open();
    await app.list.toggle('Office Berlin').click();
    await app.list.toggle('Corporate').click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
    await expect.poll(() => app.list.status('Corporate').textContent(), POLL).toBe('Connected');
    expect(await app.list.status('HQ (push)').textContent()).toBe('Disconnected');
  });
});
