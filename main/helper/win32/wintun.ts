/**
 * Wintun (wintun.dll, https://www.wintun.net) and two IP Helper calls, through koffi. The adapter lives while
 * the helper holds its handle (WintunCloseAdapter removes it). Injected behind WintunApi so tests see the calls.
 */
import { createRequire } from 'node:module';

export interface WintunApi {
  /** WintunCreateAdapter(name, tunnelType, &guid); null on failure (see lastError). */
  createAdapter(name: string, tunnelType: string, guid: string): unknown | null;
  closeAdapter(handle: unknown): void;
  /** WintunGetAdapterLUID + ConvertInterfaceLuidToIndex. */
  interfaceIndex(handle: unknown): number;
  /** GetBestRoute: the next hop (0.0.0.0 = on-link) and interface index for `dest`. */
  bestRoute(dest: string): { nextHop: string; ifIndex: number } | null;
  lastError(): number;
}

/** GUID text `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` → the 16-byte struct (Data1..3 little-endian). */
export function encodeGuid(guid: string): Buffer {
  const m = guid.match(/^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i);
  if (!m) throw new RangeError(`not a GUID: ${guid}`);
  const b = Buffer.alloc(16);
  b.writeUInt32LE(Number.parseInt(m[1]!, 16), 0);
  b.writeUInt16LE(Number.parseInt(m[2]!, 16), 4);
  b.writeUInt16LE(Number.parseInt(m[3]!, 16), 6);
  Buffer.from(m[4]! + m[5]!, 'hex').copy(b, 8);
  return b;
}

/** An IPv4 address as the DWORD Windows keeps in network byte order. */
export function ipv4ToDword(a: string): number {
  return Buffer.from(a.split('.').map(Number)).readUInt32LE(0);
}

export function dwordToIpv4(d: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(d >>> 0, 0);
  return [...b].join('.');
}

/** The real calls (untested on real Windows: see main/helper/README.md). */
export function koffiWintunApi(dllPath: string): WintunApi {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const wintun = koffi.load(dllPath);
  const iphlp = koffi.load('iphlpapi.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const create = wintun.func(
    'void *WintunCreateAdapter(const char16_t *name, const char16_t *type, const uint8_t *guid)',
  );
  const close = wintun.func('void WintunCloseAdapter(void *adapter)');
  const luid = wintun.func('void WintunGetAdapterLUID(void *adapter, _Out_ uint8_t *luid)');
  const toIndex = iphlp.func(
    'uint32_t ConvertInterfaceLuidToIndex(const uint8_t *luid, _Out_ uint32_t *index)',
  );
  const best = iphlp.func('uint32_t GetBestRoute(uint32_t dest, uint32_t source, _Out_ uint8_t *row)');
  const lastError = kernel32.func('uint32_t GetLastError()');
  return {
    createAdapter: (name, type, guid) => create(name, type, encodeGuid(guid)) ?? null,
    closeAdapter: (h) => close(h),
    interfaceIndex: (h) => {
      const l = Buffer.alloc(8);
      luid(h, l);
      const index = [0];
      if (toIndex(l, index) !== 0) throw new Error('ConvertInterfaceLuidToIndex failed');
      return index[0]!;
    },
    bestRoute: (dest) => {
      const row = Buffer.alloc(56); // MIB_IPFORWARDROW: 14 DWORDs
      if (best(ipv4ToDword(dest), 0, row) !== 0) return null;
      return { nextHop: dwordToIpv4(row.readUInt32LE(12)), ifIndex: row.readUInt32LE(16) };
    },
    lastError: () => lastError() as number,
  };
}
