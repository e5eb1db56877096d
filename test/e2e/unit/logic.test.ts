import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateInfo } from '../../../core/api/ipc';
import type { LogEntry } from '../../../core/common/log';
import type { ConnectionCounters } from '../../../core/connection/counters';
import { newCounters } from '../../../core/l2tp/counters';
import { resolveTheme } from '../../../renderer/dom/theme';
import {
  bytesToBase64,
  certificateWarnings,
  derToPem,
  detectFormat,
  displayFingerprint,
  firstPemCertificate,
  normalizeFingerprint,
  validity,
} from '../../../renderer/logic/certificates';
import { dropsByReason, findCounter, flatten } from '../../../renderer/logic/counters';
import {
  formatBytes,
  formatCountdown,
  formatDate,
  formatDuration,
  formatOffset,
} from '../../../renderer/logic/format';
import { filterLog } from '../../../renderer/logic/logFilter';
import { clampDigits, codeProblem, sanitizeCode, secondsLeft } from '../../../renderer/logic/otp';
import { type CertificateFixtures, makeCertificates } from '../support/certificateFixtures';

describe('formatting', () => {
  it('formats sizes, durations, countdowns and dates', () => {
    expect([0, 1023, 1024, 150_000, 23_500_000, 5 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '146 KiB',
      '22 MiB',
      '5.0 GiB',
    ]);
    expect(formatBytes(-1)).toBe('—');
    expect([null, 0, 12.4, 999, 1000, 1450, 12_000, 65_000, 3_725_000].map(formatDuration)).toEqual([
      '—',
      '0 ms',
      '12 ms',
      '999 ms',
      '1.0 s',
      '1.4 s',
      '12 s',
      '1 min 05 s',
      '1 h 02 min',
    ]);
    expect(formatOffset(42)).toBe('+42 ms');
    expect([60, 59.2, 0.1, 0, -5, 125].map(formatCountdown)).toEqual([
      '1:00',
      '1:00',
      '0:01',
      '0:00',
      '0:00',
      '2:05',
    ]);
    expect(formatDate('2026-03-01T14:05:09.000Z')).toBe('2026-03-01 14:05 UTC');
    expect(formatDate('not a date')).toBe('not a date');
  });
});

describe('one-time codes', () => {
  it('keeps only digits of typed or pasted text, at most the allowed number', () => {
    expect(sanitizeCode(' 123 456\n', 8)).toBe('123456');
    expect(sanitizeCode('123-456-789', 8)).toBe('12345678');
    expect(sanitizeCode('abc', 6)).toBe('');
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 6, max: 8 }), (s, max) => {
        const c = sanitizeCode(s, max);
        expect(c).toMatch(/^\d*$/);
        expect(c.length).toBeLessThanOrEqual(max);
      }),
    );
  });

  it('holds prompts to the 6–8 digits the host accepts and explains a short code', () => {
    expect(clampDigits({ min: 4, max: 12 })).toEqual({ min: 6, max: 8 });
    expect(clampDigits({ min: 7, max: 6 })).toEqual({ min: 7, max: 7 });
    expect(codeProblem('12345', { min: 6, max: 6 })).toBe('enter all 6 digits');
    expect(codeProblem('12345', { min: 6, max: 8 })).toBe('enter 6 to 8 digits');
    expect(codeProblem('1234567', { min: 6, max: 8 })).toBeNull();
    expect(codeProblem('12345a', { min: 6, max: 8 })).toBe('digits only');
    expect(secondsLeft(30, 1000, 13_500)).toBe(17.5);
    expect(secondsLeft(30, 1000, 99_000)).toBe(0);
  });
});

describe('certificates', () => {
  let certs: CertificateFixtures;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.cleanup());

  it('detects the format from the name and the first bytes', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(detectFormat('bundle.P12', new Uint8Array([0x30, 0x82]))).toBe('pkcs12');
    expect(detectFormat('id.pfx', text('-----BEGIN'))).toBe('pkcs12');
    expect(detectFormat('ca.crt', text('junk\n-----BEGIN CERTIFICATE-----\n'))).toBe('pem');
    expect(detectFormat('ca.cer', new Uint8Array(readFileSync(certs.caDerPath)))).toBe('der');
  });

  it('turns DER into a PEM that parses to the same certificate', () => {
    const der = new Uint8Array(readFileSync(certs.caDerPath));
    const pem = derToPem(der);
    expect(pem.split('\n').every((l) => l.length <= 64)).toBe(true);
    expect(new X509Certificate(pem).fingerprint256).toBe(certs.caFingerprint);
    expect(firstPemCertificate(`-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n${pem}`)).toBe(
      pem,
    );
    expect(firstPemCertificate('nothing')).toBeNull();
  });

  it('encodes base64 like Buffer for any length, including past the chunk size', () => {
    for (const n of [0, 1, 2, 3, 0x8000, 0x8001, 100_000]) {
      const b = new Uint8Array(randomBytes(n));
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });

  it('normalises fingerprints for the profile and formats them for display', () => {
    expect(normalizeFingerprint(certs.clientFingerprint)).toMatch(/^[0-9a-f]{64}$/);
    expect(displayFingerprint(normalizeFingerprint(certs.clientFingerprint))).toBe(certs.clientFingerprint);
  });

  it('reads validity and warns about expiry, missing keys and non-CA certificates', () => {
    const info: CertificateInfo = {
      subject: 'CN=a',
      issuer: 'CN=b',
      notBefore: '2026-01-01T00:00:00Z',
      notAfter: '2026-12-31T00:00:00Z',
      fingerprintSha256: 'ab'.repeat(32),
      hasPrivateKey: true,
      isCa: false,
    };
    const at = (iso: string) => Date.parse(iso);
    expect(validity(info, at('2026-06-01T00:00:00Z'))).toEqual({ kind: 'valid', daysLeft: 213 });
    expect(validity(info, at('2025-06-01T00:00:00Z'))).toEqual({ kind: 'not-yet-valid' });
    expect(validity(info, at('2027-06-01T00:00:00Z'))).toEqual({ kind: 'expired' });
    expect(validity({ notBefore: 'x', notAfter: 'y' }, 0)).toEqual({ kind: 'unknown' });
    expect(certificateWarnings(info, 'client', at('2026-06-01T00:00:00Z'))).toEqual([]);
    expect(certificateWarnings(info, 'client', at('2026-12-20T00:00:00Z'))).toEqual([
      'This certificate expires in 11 days.',
    ]);
    expect(
      certificateWarnings({ ...info, hasPrivateKey: false }, 'client', at('2027-01-02T00:00:00Z')),
    ).toEqual([
      'This certificate has expired; the server will reject it.',
      'No private key was found: import a PKCS#12 file or a PEM file that includes the key.',
    ]);
    expect(certificateWarnings(info, 'ca', at('2026-06-01T00:00:00Z'))).toEqual([
      'This is not a CA certificate; choose the certificate of the issuing CA.',
    ]);
  });
});

describe('counters', () => {
  const counters: ConnectionCounters = {
    ip: { packetsIn: 10, packetsOut: 5, bytesIn: 1000, bytesOut: 500, drops: { 'no-route': 2, ttl: 0 } },
    carrier: {
      esp: {
        counters: { innerDropped: { 'not-udp': 1, 'bad-ip': 0 }, datagramsIn: 7 },
        transform: 'aes256gcm16',
      },
      ike: { rekeys: 2, ignored: { 'bad-hash': 4 } },
      dpd: { sent: 3, acknowledged: 3 },
      natt: { forced: true },
    },
    l2tp: { ...newCounters(), malformed: { 'short-header': 5 } },
    ppp: null,
  };

  it('lists every non-zero drop by layer and reason, largest first', () => {
    expect(dropsByReason(counters)).toEqual([
      { layer: 'L2TP', reason: 'short-header', count: 5 },
      { layer: 'IPsec', reason: 'ike.ignored.bad-hash', count: 4 },
      { layer: 'IP', reason: 'no-route', count: 2 },
      { layer: 'IPsec', reason: 'esp.counters.innerDropped.not-udp', count: 1 },
    ]);
  });

  it('flattens nested counters and finds rekeys and DPD', () => {
    expect(flatten(counters.carrier)).toContainEqual(['esp.counters.datagramsIn', 7]);
    expect(flatten(counters.carrier)).toContainEqual(['natt.forced', 'yes']);
    expect(findCounter(counters, /rekey/i)).toBe(2);
    expect(findCounter(counters, /^dpd\./)).toBe(6);
    expect(findCounter(counters, /nothing/)).toBeNull();
  });
});

describe('log filter', () => {
  const e = (level: LogEntry['level'], scope: string, msg: string, fields = {}): LogEntry => ({
    ts: 0,
    level,
    scope,
    msg,
    fields,
  });
  const log = [
    e('debug', 'ferry.ike', 'sent message 1'),
    e('info', 'ferry.l2tp', 'tunnel up', { tunnelId: 7 }),
    e('warn', 'ferry.ppp', 'echo missed'),
    e('error', 'ferry.ike', 'rekey failed', { code: 'no-proposal-chosen' }),
  ];

  it('filters by minimum level and by text in scope, message or fields', () => {
    expect(filterLog(log, { minLevel: 'debug', text: '' })).toHaveLength(4);
    expect(filterLog(log, { minLevel: 'warn', text: '' }).map((x) => x.msg)).toEqual([
      'echo missed',
      'rekey failed',
    ]);
    expect(filterLog(log, { minLevel: 'debug', text: 'IKE' }).map((x) => x.msg)).toEqual([
      'sent message 1',
      'rekey failed',
    ]);
    expect(filterLog(log, { minLevel: 'debug', text: 'tunnelid' }).map((x) => x.msg)).toEqual(['tunnel up']);
    expect(filterLog(log, { minLevel: 'info', text: 'proposal' }).map((x) => x.msg)).toEqual([
      'rekey failed',
    ]);
    expect(filterLog(log, { minLevel: 'debug', text: '' }, 2).map((x) => x.msg)).toEqual([
      'echo missed',
      'rekey failed',
    ]);
  });
});

describe('theme', () => {
  it('resolves "system" from the OS preference', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });
});
