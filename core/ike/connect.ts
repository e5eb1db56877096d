/** Opens the NAT-T transport and runs phase 1: what the orchestrator calls to start a session (SPEC §1.1). */
import { type Clock, systemClock } from '../common/clock';
import { type Logger, silentLogger } from '../common/log';
import type { DatagramSocketFactory } from '../net/udp';
import { phase1Error } from './errors';
import { IkeSa, type IkeSaOptions } from './ikeSa';
import { NattTransport } from './nattTransport';
import type { Phase1Result } from './phase1';

export interface Phase1ConnectOptions extends Omit<IkeSaOptions, 'transport'> {
  readonly sockets: DatagramSocketFactory;
  /** NAT keepalive interval once floated (default 20 s, SPEC §1.3). */
  readonly keepaliveIntervalMs?: number;
  /** Aborting closes the IKE SA and both sockets at once; the promise then rejects with code 'aborted'. */
  readonly signal?: AbortSignal;
}

export interface Phase1Connection {
  readonly ikeSa: IkeSa;
  readonly transport: NattTransport;
  readonly result: Phase1Result;
}

/** Opens both sockets, establishes phase 1; on failure everything opened is closed again. */
export async function connectPhase1(opts: Phase1ConnectOptions): Promise<Phase1Connection> {
  const clock: Clock = opts.clock ?? systemClock;
  const logger: Logger = opts.logger ?? silentLogger;
  const aborted = () => phase1Error('aborted', 'the connection attempt was cancelled');
  if (opts.signal?.aborted) throw aborted();
  let transport: NattTransport;
  try {
    transport = await NattTransport.open({
      sockets: opts.sockets,
      serverAddress: opts.serverAddress,
      clock,
      logger,
      ...(opts.keepaliveIntervalMs === undefined ? {} : { keepaliveIntervalMs: opts.keepaliveIntervalMs }),
    });
  } catch (e) {
    throw phase1Error('transport', 'could not open UDP sockets', e);
  }
  if (opts.signal?.aborted) {
    transport.close();
    throw aborted();
  }
  const ikeSa = new IkeSa({ ...opts, clock, logger, transport });
  const onAbort = () => {
    ikeSa.close();
    transport.close();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await ikeSa.establish();
    if (opts.signal?.aborted) throw aborted();
    return { ikeSa, transport, result };
  } catch (e) {
    ikeSa.close();
    transport.close();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
