/** The network control protocols of a link: IPCP always, IPV6CP when enabled, CCP unless Protocol-Rejected. */
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import { CcpOptions } from './ccp';
import { IpcpOptions } from './ipcp';
import { Ipv6cpOptions, linkLocalAddress } from './ipv6cp';
import { type FinishReason, Negotiation, type NegotiationDeps } from './negotiation';
import { PROTO } from './protocol';
import type { PppIpv6Info, PppLinkOptions } from './types';

export interface NcpHooks {
  ipcpUp(): void;
  ipcpDown(): void;
  ipcpFinished(reason: FinishReason): void;
  ipv6Up(info: PppIpv6Info): void;
  malformed(what: string): void;
}

export interface Ncps {
  readonly ipcp: Negotiation;
  readonly ipcpOpts: IpcpOptions;
  readonly ipv6cp: Negotiation | null;
  readonly ccpOpts: CcpOptions | null;
  byProtocol(protocol: number): Negotiation | null;
  /** The network phase begins (RFC 1661 §3.6): Up + Open every NCP. */
  up(): void;
  /** LCP left Opened: Down every NCP. */
  down(): void;
  dispose(): void;
  ipv6Info(): PppIpv6Info | null;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function buildNcps(
  opts: PppLinkOptions,
  random: RandomSource,
  log: Logger,
  deps: (protocol: number) => NegotiationDeps,
  hooks: NcpHooks,
): Ncps {
  const ipcpOpts = new IpcpOptions({ requestDns: opts.requestDns ?? true, logger: log });
  const ipcp = new Negotiation(
    'IPCP',
    ipcpOpts,
    { up: hooks.ipcpUp, down: hooks.ipcpDown, finished: hooks.ipcpFinished, malformed: hooks.malformed },
    deps(PROTO.IPCP),
    opts.ncp,
  );

  let ipv6Opts: Ipv6cpOptions | null = null;
  let ipv6cp: Negotiation | null = null;
  const ipv6Info = (): PppIpv6Info | null => {
    if (!ipv6Opts?.localId || !ipv6Opts.peerId || ipv6cp?.state !== 'opened') return null;
    return {
      localInterfaceId: hex(ipv6Opts.localId),
      peerInterfaceId: hex(ipv6Opts.peerId),
      localLinkLocal: linkLocalAddress(ipv6Opts.localId),
      peerLinkLocal: linkLocalAddress(ipv6Opts.peerId),
    };
  };
  if (opts.ipv6) {
    const o = new Ipv6cpOptions({ random, logger: log });
    ipv6Opts = o;
    ipv6cp = new Negotiation(
      'IPV6CP',
      o,
      {
        up: () => {
          const info = ipv6Info();
          if (info) hooks.ipv6Up(info);
        },
        down: () => log.info('IPV6CP down'),
        finished: (r) => log.info('IPV6CP finished, IPv6 unavailable', { reason: r }),
        malformed: hooks.malformed,
      },
      deps(PROTO.IPV6CP),
      opts.ncp,
    );
  }

  let ccpOpts: CcpOptions | null = null;
  let ccp: Negotiation | null = null;
  if ((opts.ccp ?? 'reject-options') === 'reject-options') {
    ccpOpts = new CcpOptions();
    ccp = new Negotiation(
      'CCP',
      ccpOpts,
      {
        up: () => log.info('CCP opened without compression'),
        down: () => {},
        finished: (r) => log.debug('CCP finished', { reason: r }),
        malformed: hooks.malformed,
      },
      deps(PROTO.CCP),
      { ...opts.ncp, silent: true },
    );
  }

  const all = [ipcp, ipv6cp, ccp].filter((n): n is Negotiation => n !== null);
  return {
    ipcp,
    ipcpOpts,
    ipv6cp,
    ccpOpts,
    byProtocol: (p) => (p === PROTO.IPCP ? ipcp : p === PROTO.IPV6CP ? ipv6cp : p === PROTO.CCP ? ccp : null),
    up: () => {
      for (const n of all) {
        n.up();
        n.open();
      }
    },
    down: () => {
      for (const n of all) n.down();
    },
    dispose: () => {
      for (const n of all) n.dispose();
    },
    ipv6Info,
  };
}
