/** Wires an IkeSa over a NattTransport on a FakeNetwork to a ScriptedResponder. */
import { createLogger, RingBufferSink } from '../../../../core/common/log';
import { IkeSa, type IkeSaOptions } from '../../../../core/ike/ikeSa';
import { NattTransport } from '../../../../core/ike/nattTransport';
import { FakeClock, seededRandom } from '../../../support/deterministic';
import { FakeNetwork } from './fakeNetwork';

export { seededRandom };

import { type ResponderOptions, ScriptedResponder } from './responder';

export const PSK = new TextEncoder().encode('unit-test-psk-6d1f');
export const CLIENT = '10.0.0.2';
export const SERVER = '10.0.0.1';

export interface Harness {
  readonly clock: FakeClock;
  readonly net: FakeNetwork;
  readonly responder: ScriptedResponder;
  readonly transport: NattTransport;
  readonly ikeSa: IkeSa;
  readonly ring: RingBufferSink;
  close(): void;
}

export async function harness(
  opts: { responder?: Partial<ResponderOptions>; sa?: Partial<IkeSaOptions>; seed?: number } = {},
): Promise<Harness> {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  const responder = new ScriptedResponder(net, clock, { psk: PSK, address: SERVER, ...opts.responder });
  const ring = new RingBufferSink();
  const logger = createLogger({ sinks: [ring.sink], now: () => clock.now() });
  const transport = await NattTransport.open({
    sockets: net.factory(CLIENT),
    serverAddress: SERVER,
    clock,
    logger,
  });
  const ikeSa = new IkeSa({
    transport,
    serverAddress: SERVER,
    psk: PSK,
    clock,
    random: seededRandom(opts.seed ?? 7),
    logger,
    localAddress: CLIENT,
    ...opts.sa,
  });
  return {
    clock,
    net,
    responder,
    transport,
    ikeSa,
    ring,
    close: () => {
      ikeSa.close();
      transport.close();
      responder.close();
    },
  };
}
