import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../../../core/common/decode';
import { err, ok, type Result } from '../../../core/common/result';
import { LineFramer } from '../../../main/helper/framing';
import {
  encodeRequest,
  LIMITS,
  MAX_MESSAGE_BYTES,
  parseRequest,
  parseResponse,
  REQUEST_TYPES,
  type Request,
} from '../../../main/helper/protocol';
import { fuzzDecoder } from '../../support/fuzz';

const refusal = (line: string) => {
  const r = parseRequest(line);
  if (r.ok) throw new Error(`accepted: ${line}`);
  return r.error;
};
const accepted = (line: string) => {
  const r = parseRequest(line);
  if (!r.ok) throw new Error(`refused ${line}: ${r.error.code} ${r.error.message}`);
  return r.value;
};
const req = (type: string, args: unknown, id: unknown = 1) => JSON.stringify({ id, type, args });

describe('helper protocol: requests', () => {
  it('accepts every request type with valid arguments and fills defaults', () => {
    const valid: Record<string, unknown> = {
      hello: { version: 1 },
      createTun: {},
      openTunFd: { name: 'ferry0', token: 'a'.repeat(32) },
      setAddress: { name: 'ferry0', address: '10.0.0.2', peer: '10.0.0.1' },
      setMtu: { name: 'ferry0', mtu: 1400 },
      addRoutes: { name: 'ferry0', cidrs: ['10.1.0.0/16', '192.168.7.0/24'] },
      removeRoutes: { name: 'ferry0', cidrs: ['10.1.0.0/16'] },
      setFullTunnel: { name: 'ferry0', server: '203.0.113.9' },
      setDns: { name: 'ferry0', servers: ['10.0.0.53'], searchDomains: ['corp.example'] },
      restoreDns: {},
      enableKillSwitch: { name: 'ferry0', server: '203.0.113.9' },
      disableKillSwitch: {},
      destroyTun: { name: 'ferry0' },
      restoreAll: {},
      status: {},
    };
    expect(Object.keys(valid).sort()).toEqual([...REQUEST_TYPES].sort());
    for (const [type, args] of Object.entries(valid)) expect(accepted(req(type, args)).type).toBe(type);
    expect(accepted(req('createTun', {})).args).toEqual({ mtu: 1400, clampMss: false });
    expect(accepted(req('setAddress', { name: 'ferry0', address: '10.0.0.2' })).args).toMatchObject({
      prefix: 32,
    });
    expect(accepted(req('enableKillSwitch', { name: 'tun0', server: '1.2.3.4' })).args).toMatchObject({
      serverPorts: [500, 4500],
    });
    // args may be omitted when every field has a default
    expect(accepted(JSON.stringify({ id: 'x', type: 'status' })).id).toBe('x');
  });

  it('malformed: not UTF-8, not JSON, no envelope, unknown type, extra envelope field', () => {
    expect(parseRequest(Uint8Array.of(0x7b, 0xff, 0x7d)).ok).toBe(false);
    expect(refusal('{').code).toBe('malformed');
    expect(refusal('[]').code).toBe('malformed');
    expect(refusal('null').code).toBe('malformed');
    expect(refusal('{"type":"status"}').code).toBe('malformed');
    expect(refusal('{"id":-1,"type":"status"}').code).toBe('malformed');
    expect(refusal(`{"id":"${'x'.repeat(65)}","type":"status"}`).code).toBe('malformed');
    const unknown = refusal(req('runShell', { cmd: 'id' }, 7));
    expect(unknown).toMatchObject({ code: 'malformed', id: 7 });
    expect(refusal(req('__proto__', {})).code).toBe('malformed');
    expect(refusal(req('toString', {})).code).toBe('malformed');
    expect(refusal('{"id":1,"type":"status","args":{},"shell":"sh"}').code).toBe('malformed');
  });

  it('too-large: a line over the limit', () => {
    const big = req('addRoutes', {
      name: 'ferry0',
      cidrs: ['10.0.0.0/8'],
      pad: 'x'.repeat(MAX_MESSAGE_BYTES),
    });
    expect(refusal(big).code).toBe('too-large');
  });

  it('invalid-argument: CIDRs, addresses, names, MTU, limits, domains, unknown fields', () => {
    const bad: [string, unknown][] = [
      ['addRoutes', { name: 'ferry0', cidrs: ['10.1.0.1/16'] }], // host bits
      ['addRoutes', { name: 'ferry0', cidrs: ['10.1.0.0/33'] }],
      ['addRoutes', { name: 'ferry0', cidrs: ['0.0.0.0/0'] }], // use setFullTunnel
      ['addRoutes', { name: 'ferry0', cidrs: ['127.0.0.0/8'] }],
      ['addRoutes', { name: 'ferry0', cidrs: ['64.0.0.0/2'] }], // covers loopback
      ['addRoutes', { name: 'ferry0', cidrs: ['10.1.0.0/16 dev eth0'] }],
      ['addRoutes', { name: 'ferry0', cidrs: [] }],
      [
        'addRoutes',
        {
          name: 'ferry0',
          cidrs: Array.from(
            { length: LIMITS.routesPerRequest + 1 },
            (_, i) => `10.${i >> 8}.${i & 255}.0/24`,
          ),
        },
      ],
      ['addRoutes', { name: 'eth0; reboot', cidrs: ['10.1.0.0/16'] }],
      ['addRoutes', { name: '-ferry0', cidrs: ['10.1.0.0/16'] }],
      ['addRoutes', { name: 'a'.repeat(16), cidrs: ['10.1.0.0/16'] }],
      ['setAddress', { name: 'ferry0', address: '10.0.0.256' }],
      ['setAddress', { name: 'ferry0', address: '010.0.0.1' }],
      ['setAddress', { name: 'ferry0', address: '::1' }],
      ['setMtu', { name: 'ferry0', mtu: 575 }],
      ['setMtu', { name: 'ferry0', mtu: 9001 }],
      ['setMtu', { name: 'ferry0', mtu: 1400.5 }],
      ['createTun', { mtu: '1400' }],
      ['createTun', { owner: { uid: -1 } }],
      ['createTun', { command: 'x' }],
      ['setDns', { name: 'ferry0', servers: [] }],
      ['setDns', { name: 'ferry0', servers: Array(LIMITS.dnsServers + 1).fill('10.0.0.1') }],
      [
        'setDns',
        { name: 'ferry0', servers: ['10.0.0.1'], searchDomains: ['corp.example\nnameserver 6.6.6.6'] },
      ],
      ['setDns', { name: 'ferry0', servers: ['10.0.0.1'], searchDomains: ['a b'] }],
      ['setDns', { name: 'ferry0', servers: ['10.0.0.1'], searchDomains: ['-bad.example'] }],
      [
        'setDns',
        {
          name: 'ferry0',
          servers: ['10.0.0.1'],
          searchDomains: Array(LIMITS.searchDomains + 1).fill('x.example'),
        },
      ],
      ['enableKillSwitch', { name: 'ferry0', server: '1.2.3.4', serverPorts: [0] }],
      ['enableKillSwitch', { name: 'ferry0', server: '1.2.3.4', serverPorts: [1, 2, 3, 4, 5] }],
      ['openTunFd', { name: 'ferry0', token: 'not-hex' }],
      ['hello', {}],
      ['status', { verbose: true }],
    ];
    for (const [type, args] of bad) {
      const r = refusal(req(type, args));
      expect(r.code, `${type} ${JSON.stringify(args).slice(0, 80)}`).toBe('invalid-argument');
      expect(r.id).toBe(1);
    }
  });

  it('request and response encoding round-trips', () => {
    const line = encodeRequest(5, 'addRoutes', { name: 'ferry0', cidrs: ['10.0.0.0/8'] });
    expect(line.endsWith('\n')).toBe(true);
    expect(accepted(line.trim())).toEqual({
      id: 5,
      type: 'addRoutes',
      args: { name: 'ferry0', cidrs: ['10.0.0.0/8'] },
    });
    expect(parseResponse('{"id":5,"ok":true,"result":{}}')).toEqual(ok({ id: 5, ok: true, result: {} }));
    expect(parseResponse('{"id":null,"ok":false,"error":{"code":"unauthorized","message":"no"}}').ok).toBe(
      true,
    );
    expect(parseResponse('{"id":5,"ok":false,"error":{"code":"weird","message":"no"}}').ok).toBe(false);
    expect(parseResponse('nope').ok).toBe(false);
  });
});

/** parseRequest as a total decoder: refusals map onto DecodeError codes; a throw or 'internal' fails the fuzz. */
function asDecoder(bytes: Uint8Array): Result<Request, DecodeError> {
  const r = parseRequest(bytes);
  if (r.ok) return ok(r.value);
  const code =
    r.error.code === 'too-large' ? 'too-large' : r.error.code === 'malformed' ? 'invalid' : 'unsupported';
  return err({ code, message: r.error.message });
}

describe('helper protocol: hostile input', () => {
  it('survives 10^5 fuzzed request lines', () => {
    const seeds = [
      req('createTun', { mtu: 1400, owner: { uid: 1000 } }),
      req('addRoutes', { name: 'ferry0', cidrs: ['10.1.0.0/16', '172.16.0.0/12'] }),
      req('setDns', { name: 'ferry0', servers: ['10.0.0.53', '10.0.0.54'], searchDomains: ['corp.example'] }),
      req('enableKillSwitch', { name: 'ferry0', server: '203.0.113.9', serverPorts: [500, 4500] }),
      req('setFullTunnel', { name: 'ferry0', server: '203.0.113.9' }, 'abc'),
      req('hello', { version: 1 }),
    ].map((s) => new TextEncoder().encode(s));
    const stats = fuzzDecoder('helper request', asDecoder, seeds, {
      maxRandomLength: 512,
      check: (v) => {
        // whatever is accepted is fully validated: re-encoding and re-parsing gives the same request
        const again = parseRequest(JSON.stringify({ id: v.id, type: v.type, args: v.args }));
        expect(again.ok && again.value).toEqual(v);
      },
    });
    expect(stats.ok).toBeGreaterThan(0);
    expect(Object.keys(stats.errors).length).toBeGreaterThan(0);
  });

  it('the line framer bounds memory and resynchronises after an oversized line', () => {
    const f = new LineFramer(10);
    expect(f.push(Buffer.from('abc\ndef'))).toEqual([{ kind: 'line', line: Buffer.from('abc') }]);
    expect(f.push(Buffer.from('ghijklmn'))).toEqual([{ kind: 'too-large' }]);
    expect(f.pending).toBe(0);
    expect(f.push(Buffer.from('more junk without end'))).toEqual([]);
    expect(f.push(Buffer.from('x\nok\r\n\n'))).toEqual([{ kind: 'line', line: Buffer.from('ok') }]);
    // exactly at the limit is fine, one byte over is not
    expect(f.push(Buffer.from(`${'a'.repeat(10)}\n${'b'.repeat(11)}\n`))).toEqual([
      { kind: 'line', line: Buffer.from('a'.repeat(10)) },
      { kind: 'too-large' },
    ]);
  });

  it('the line framer splits arbitrary chunkings identically', () => {
    const text = Buffer.from('one\ntwo\n\nthree\nfour');
    const whole = new LineFramer(100).push(text);
    for (let cut = 0; cut <= text.length; cut++) {
      const f = new LineFramer(100);
      expect([...f.push(text.subarray(0, cut)), ...f.push(text.subarray(cut))]).toEqual(whole);
    }
  });
});
