/** ESP in UDP (RFC 3948) over real loopback sockets: what the IKE transport's UDP 4500 demux will hand over. */
import { afterEach, describe, expect, it } from 'vitest';
import { type DatagramSocket, nodeUdp } from '../../../core/net/udp';
import { bytes, classifyNatT, hex, mustSeal, saPair } from './helpers';

describe('ESP over UDP 4500 framing (RFC 3948 §2)', () => {
  const sockets: DatagramSocket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  it('ESP packets start with a non-zero SPI, unlike IKE (non-ESP marker) and keepalives', () => {
    const { outbound } = saPair({ cipher: 'aes-gcm-16', keyBits: 128 });
    expect(classifyNatT(mustSeal(outbound, bytes(10)))).toBe('esp');
    expect(classifyNatT(Uint8Array.from([0, 0, 0, 0, 1, 2, 3, 4]))).toBe('ike');
    expect(classifyNatT(Uint8Array.from([0xff]))).toBe('keepalive');
  });

  it('carries sealed packets across loopback and opens them in order of arrival', async () => {
    const { outbound, inbound } = saPair({ cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' });
    const rx = await nodeUdp.open({ address: '127.0.0.1' });
    const tx = await nodeUdp.open({ address: '127.0.0.1' });
    sockets.push(rx, tx);
    const payloads = Array.from({ length: 50 }, (_, i) => bytes(1400, i + 1));
    const received: string[] = [];
    const done = new Promise<void>((resolve) => {
      rx.onMessage((datagram) => {
        if (classifyNatT(datagram) !== 'esp') return;
        const r = inbound.open(datagram);
        if (r.ok) received.push(hex(r.value.payload));
        if (received.length === payloads.length) resolve();
      });
    });
    tx.send(Uint8Array.from([0xff]), rx.local);
    for (const p of payloads) tx.send(mustSeal(outbound, p), rx.local);
    await done;
    expect(new Set(received)).toEqual(new Set(payloads.map(hex)));
    expect(inbound.stats().packets).toBe(50);
  });
});
