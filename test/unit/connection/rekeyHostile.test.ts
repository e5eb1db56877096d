/**
 * The responders face whatever arrives on the NAT-T port: mutated copies of a server's Quick Mode (rekey) and
 * of Main Mode messages are fed to an established carrier. Nothing may throw (the transport logs a throwing
 * handler), nothing may be installed from garbage, and the session stays up.
 */
import { afterEach, expect, it } from 'vitest';
import { concatBytes } from '../../../core/common/bytes';
import type { L2tpCarrier } from '../../../core/connection/carrier';
import { prng } from '../../support/fuzz';
import { SERVER, stats, up, type World, world } from './support/ipsecWorld';

let w: World | null = null;
let c: L2tpCarrier | null = null;
afterEach(async () => {
  if (c) await w?.clock.run(c.close());
  w?.close();
  w = null;
  c = null;
});

function mutate(rand: () => number, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = 4 + Math.floor(rand() * (out.length - 4));
    out[at] = Math.floor(rand() * 256);
  }
  return rand() < 0.2 ? out.subarray(0, 4 + Math.floor(rand() * (out.length - 4))) : out;
}

it('5000 mutated server Quick Mode and Main Mode messages: no throw, no bogus SA, the session stays up', async () => {
  w = world();
  const x = w;
  c = await up(x);
  // Capture real server-initiated messages: a rekey QM1, and an MM1 like strongSwan's reauth sends.
  const start = x.net.log.length;
  x.qr.initiateRekey();
  await x.clock.advance(20);
  const fromServer = x.net.log
    .slice(start)
    .filter((d) => d.from.address === SERVER && d.data.length > 32)
    .map((d) => d.data);
  const mm1 = x.net.log.find((d) => d.to.address === SERVER && d.to.port === 500)!.data;
  const seeds = [...fromServer, concatBytes(new Uint8Array(4), mm1.slice())];
  const to = x.net.log.find((d) => d.to.address === SERVER && d.to.port === 4500)!.from;
  const before = stats(c).rekey.childRekeysByServer;
  const rand = prng(0xfeed);
  for (let i = 0; i < 5000; i++) {
    const seed = seeds[i % seeds.length]!;
    x.net.inject({ address: SERVER, port: 4500 }, to, mutate(rand, seed));
    if (i % 100 === 99) await x.clock.advance(5);
  }
  await x.clock.advance(40_000);
  expect(x.ring.snapshot().filter((e) => e.level === 'error')).toEqual([]);
  expect(stats(c).rekey.childRekeysByServer).toBe(before);
  expect(x.failures).toEqual([]);
  const s = c.stats() as { rekey: { mainModeResponder: { established: number } } };
  expect(s.rekey.mainModeResponder.established).toBe(0);
});
