/** Dotted-quad IPv4 addresses <-> 4 bytes (ID payloads, NAT-D, NAT-OA). */

/** The 4 bytes of a dotted-quad address, or null when `text` is not one. */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** Like parseIpv4 but throws for programming errors (addresses from configuration are validated earlier). */
export function ipv4Bytes(text: string): Uint8Array {
  const b = parseIpv4(text);
  if (!b) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return b;
}
