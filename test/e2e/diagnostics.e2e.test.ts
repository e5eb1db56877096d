import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNECT_PHASES } from '../../core/common/errors';
import { standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };

describe('diagnostics', () => {
  it('shows the timeline, counters, negotiated algorithms and assigned addresses of a live session', async () => {
    const { app, ferry } = await suite.open();
    await app.list.toggle('Office Berlin').click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
    await app.panel.open('Diagnostics');

    const d = app.diagnostics;
    for (const phase of CONNECT_PHASES) {
      const [, start, duration, result] = await d.phaseCells(phase);
      expect(start).toMatch(/^\+\d+ ms$/);
      expect(duration).toMatch(/^\d+ ms$/);
      expect(result).toBe('OK');
    }
    expect(await d.phaseCells('ike-phase1')).toContain('IKE phase 1');

    ferry.sim.traffic('office', { in: [120, 150_000], out: [80, 20_480], drops: { 'no-route': 3, ttl: 1 } });
    await expect.poll(() => d.stat('bytes-in').textContent(), POLL).toBe('Received146 KiB120 packets');
    expect(await d.stat('bytes-out').textContent()).toBe('Sent20 KiB80 packets');
    expect(await d.stat('drops').textContent()).toBe('Dropped4packets');
    expect(await d.drops.locator('tbody tr').allTextContents()).toEqual(['IPno-route3', 'IPttl1']);
    ferry.sim.traffic('office', { in: [1, 1000] });
    await expect.poll(() => d.stat('bytes-in').textContent(), POLL).toBe('Received147 KiB121 packets');

    expect(await d.facts('negotiated')).toEqual({
      'IKE (phase 1)': 'AES-256-CBC / SHA-256 / MODP-2048',
      'ESP (phase 2)': 'AES-256-GCM-16',
      'NAT traversal': 'RFC 3947, forced UDP encapsulation',
      'PPP authentication': 'MS-CHAPv2',
    });
    expect(await d.facts('assigned')).toEqual({
      'Local address': '10.8.0.23',
      'Peer address': '10.8.0.1',
      MTU: '1400',
      'DNS servers': '10.8.0.1',
      Routes: '10.20.0.0/16, 192.168.50.0/24',
    });
  });

  it('updates the timeline live: running phase, waiting phases, then results', async () => {
    const { app, ferry } = await suite.open(standardHost({ pace: { mode: 'manual' } }));
    await app.panel.open('Diagnostics');
    await app.page.getByText('No connection attempt yet.').waitFor();
    await app.list.toggle('Office Berlin').click();
    const d = app.diagnostics;
    await expect
      .poll(() => d.phaseCells('ike-phase1'), POLL)
      .toEqual(['IKE phase 1', expect.stringMatching(/^\+\d+ ms$/), '…', 'In progress']);
    expect((await d.phaseCells('dns'))[3]).toBe('Waiting');
    ferry.sim.step('office');
    await expect.poll(async () => (await d.phaseCells('ike-phase1'))[3], POLL).toBe('OK');
    expect((await d.phaseCells('quick-mode'))[3]).toBe('In progress');
  });

  it('marks the failing phase and shows its hint', async () => {
    const { app, ferry } = await suite.open();
    ferry.sim.script('office', {
      kind: 'fail',
      phase: 'l2tp-tunnel',
      code: 'timeout',
      message: 'no answer to SCCRQ after 5 tries',
      hint: 'the server does not answer L2TP: check that it runs xl2tpd or an L2TP service',
    });
    await app.list.toggle('Office Berlin').click();
    await expect
      .poll(() => app.list.status('Office Berlin').textContent(), POLL)
      .toBe('Failed — L2TP tunnel');
    await app.panel.open('Diagnostics');
    const d = app.diagnostics;
    expect((await d.phaseCells('quick-mode'))[3]).toBe('OK');
    expect((await d.phaseCells('l2tp-tunnel'))[3]).toBe('Failed');
    expect(await d.phase('l2tp-session').count()).toBe(0);
    expect(await d.hint.textContent()).toBe(
      'the server does not answer L2TP: check that it runs xl2tpd or an L2TP service no answer to SCCRQ after 5 tries timeout',
    );
  });

  it('filters the log by level and text, including history from before the window opened', async () => {
    const { app, ferry } = await suite.open();
    ferry.log('office', 'warn', 'ferry.ike', 'retransmitting main mode message 3', { attempt: 2 });
    await app.list.toggle('Office Berlin').click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
    await app.panel.open('Diagnostics');
    const d = app.diagnostics;
    await expect.poll(() => d.logLines.count(), POLL).toBeGreaterThan(0);
    const info = await d.logLines.allTextContents();
    expect(
      info.some((l) => l.includes('retransmitting main mode message 3') && l.includes('"attempt":2')),
    ).toBe(true);
    expect(info.some((l) => / debug /.test(l))).toBe(false);

    await d.setLevel('Debug and above');
    const all = await d.logLines.count();
    expect(all).toBeGreaterThan(info.length);
    await d.filter('ferry.l2tp');
    await expect.poll(() => d.logLines.count(), POLL).toBe(4);
    expect((await d.logLines.allTextContents()).every((l) => l.includes('ferry.l2tp'))).toBe(true);
    await d.filter('');
    await d.setLevel('Warnings and errors');
    await expect.poll(() => d.logLines.count(), POLL).toBe(1);

    ferry.log('office', 'error', 'ferry.ike', 'phase 1 rekey failed', { code: 'no-proposal-chosen' });
    await expect.poll(() => d.logLines.count(), POLL).toBe(2);
    await d.setLevel('Errors only');
    expect(await d.logLines.allTextContents()).toEqual([expect.stringContaining('phase 1 rekey failed')]);
    expect(await app.page.getByTestId('log-count').textContent()).toMatch(/^Showing 1 of \d+ entries$/);
  });

  it('exports the diagnostics bundle as a downloaded file', async () => {
    const { app } = await suite.open();
    await app.list.toggle('Office Berlin').click();
    await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
    await app.panel.open('Diagnostics');
    const download = await app.diagnostics.export();
    expect(download.suggestedFilename()).toBe('ferry-diagnostics-office.json');
    const text = readFileSync((await download.path())!, 'utf8');
    const bundle = JSON.parse(text);
    expect(bundle.format).toBe('ferry-diagnostics');
    expect(bundle.connection.state.kind).toBe('connected');
    expect(bundle.connection.phases.map((p: { phase: string }) => p.phase)).toEqual([...CONNECT_PHASES]);
    expect(bundle.log.length).toBeGreaterThan(0);
    expect(text).not.toContain('stored-psk-office');
    await app.notice('Diagnostics exported').waitFor();
  });
});
