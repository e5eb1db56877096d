/**
 * The helper's whole vocabulary (SPEC §5): newline-delimited JSON, one request per line, at most
 * MAX_MESSAGE_BYTES per line. Every argument is schema-validated here, before anything reaches a backend.
 * Responses: `{ id, ok: true, result }` or `{ id, ok: false, error: { code, message } }`.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../../core/common/result';

export const PROTOCOL_VERSION = 1;
export const MAX_MESSAGE_BYTES = 64 * 1024;

export const LIMITS = {
  mtuMin: 576,
  mtuMax: 9000,
  routesPerRequest: 256,
  routesPerSession: 1024,
  dnsServers: 8,
  searchDomains: 16,
  tunsPerSession: 4,
  serverPorts: 4,
} as const;

export const REFUSAL_CODES = [
  'malformed',
  'too-large',
  'unauthorized',
  'invalid-argument',
  'not-ours',
  'failed',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface RefusalBody {
  readonly code: RefusalCode;
  readonly message: string;
}

/** Thrown inside the helper's handlers; the server turns it into `{ ok: false, error }`. */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

// ---- argument types -------------------------------------------------------------------------------------

const ipv4 = z.ipv4();

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}

/** A network CIDR with no host bits set, not /0 (that is setFullTunnel's job), not loopback. */
const routeCidr = z
  .cidrv4()
  .refine((c) => {
    const [addr, len] = c.split('/') as [string, string];
    const prefix = Number(len);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return (ipv4ToInt(addr) & ~mask) >>> 0 === 0;
  }, 'host bits set (write the network address, e.g. 10.1.0.0/16)')
  .refine((c) => Number(c.split('/')[1]) >= 1, 'a /0 route is not allowed: use setFullTunnel')
  .refine((c) => {
    const [addr, len] = c.split('/') as [string, string];
    const first = ipv4ToInt(addr) >>> 24;
    return !(first === 127 || (Number(len) < 8 && first <= 127 && first + 2 ** (8 - Number(len)) > 127));
  }, 'overlaps the loopback network');

export const interfaceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'not an interface name');

/** RFC 1123 host name labels; nothing that could break out of a resolv.conf line or a scutil command. */
export const searchDomain = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/,
    'not a domain name',
  );

const mtu = z.number().int().min(LIMITS.mtuMin).max(LIMITS.mtuMax);
const port = z.number().int().min(1).max(65535);
const id32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 2);

// ---- requests --------------------------------------------------------------------------------------------

const requestSchemas = {
  hello: z.strictObject({ version: z.number().int().min(0).max(1000) }),
  createTun: z.strictObject({
    mtu: mtu.default(1400),
    /** Who may attach to the device (Linux TUNSETOWNER/TUNSETGROUP). Defaults to the caller's uid. */
    owner: z.strictObject({ uid: id32, gid: id32.optional() }).optional(),
    /** Clamp TCP MSS to the route MTU on SYNs forwarded through the tunnel. */
    clampMss: z.boolean().default(false),
  }),
  /** Linux: a TUN fd attached to `name`, sent over the socket (SCM_RIGHTS) with the response. */
  openTunFd: z.strictObject({ name: interfaceName, token: z.string().regex(/^[0-9a-f]{32}$/) }),
  setAddress: z.strictObject({
    name: interfaceName,
    address: ipv4,
    prefix: z.number().int().min(1).max(32).default(32),
    peer: ipv4.optional(),
  }),
  setMtu: z.strictObject({ name: interfaceName, mtu }),
  addRoutes: z.strictObject({
    name: interfaceName,
    cidrs: z.array(routeCidr).min(1).max(LIMITS.routesPerRequest),
  }),
  removeRoutes: z.strictObject({
    name: interfaceName,
    cidrs: z.array(routeCidr).min(1).max(LIMITS.routesPerRequest),
  }),
  setFullTunnel: z.strictObject({ name: interfaceName, server: ipv4 }),
  setDns: z.strictObject({
    name: interfaceName,
    servers: z.array(ipv4).min(1).max(LIMITS.dnsServers),
    searchDomains: z.array(searchDomain).max(LIMITS.searchDomains).default([]),
    /** Send every query through the tunnel (full tunnel); otherwise only the search domains where possible. */
    defaultRoute: z.boolean().default(true),
  }),
  restoreDns: z.strictObject({}),
  enableKillSwitch: z.strictObject({
    name: interfaceName,
    server: ipv4,
    serverPorts: z.array(port).min(1).max(LIMITS.serverPorts).default([500, 4500]),
  }),
  disableKillSwitch: z.strictObject({}),
  destroyTun: z.strictObject({ name: interfaceName }),
  restoreAll: z.strictObject({}),
  status: z.strictObject({}),
} as const;

export type RequestType = keyof typeof requestSchemas;
export const REQUEST_TYPES = Object.keys(requestSchemas) as RequestType[];
export type RequestArgs<T extends RequestType> = z.infer<(typeof requestSchemas)[T]>;
/** What a caller passes (defaults may be omitted). */
export type RequestInput<T extends RequestType> = z.input<(typeof requestSchemas)[T]>;
export type RequestId = number | string;

export type Request = {
  [T in RequestType]: { readonly id: RequestId; readonly type: T; readonly args: RequestArgs<T> };
}[RequestType];

// ---- results ---------------------------------------------------------------------------------------------

export interface SessionStatus {
  readonly tuns: readonly string[];
  readonly routes: number;
  readonly dns: boolean;
  readonly killSwitch: boolean;
}

export interface ResultMap {
  hello: { version: number; platform: string; uid: number | null };
  createTun: { name: string; token: string };
  openTunFd: { name: string };
  setAddress: Record<string, never>;
  setMtu: Record<string, never>;
  addRoutes: { added: number };
  removeRoutes: { removed: number };
  setFullTunnel: { gateway: string | null; device: string };
  setDns: { method: string };
  restoreDns: { restored: boolean };
  enableKillSwitch: Record<string, never>;
  disableKillSwitch: { disabled: boolean };
  destroyTun: Record<string, never>;
  restoreAll: { undone: number };
  status: { version: number; platform: string; sessions: number; session: SessionStatus };
}
export type RequestResult<T extends RequestType> = ResultMap[T];

export type Response =
  | { readonly id: RequestId | null; readonly ok: true; readonly result: unknown }
  | { readonly id: RequestId | null; readonly ok: false; readonly error: RefusalBody };

const requestId = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
const envelope = z.object({ id: requestId, type: z.string().max(64) });

export interface ParseFailure extends RefusalBody {
  /** The request's id when it could be read, so the refusal can be matched. */
  readonly id: RequestId | null;
  /** The request type when it was a known one (for the log). */
  readonly type?: RequestType;
}

/** Validates one line (without its newline). Never throws on any input. */
export function parseRequest(line: Uint8Array | string): Result<Request, ParseFailure> {
  const size = typeof line === 'string' ? Buffer.byteLength(line) : line.length;
  if (size > MAX_MESSAGE_BYTES)
    return err({ id: null, code: 'too-large', message: `request larger than ${MAX_MESSAGE_BYTES} bytes` });
  let text: string;
  if (typeof line === 'string') text = line;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(line);
    } catch {
      return err({ id: null, code: 'malformed', message: 'request is not UTF-8' });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err({ id: null, code: 'malformed', message: 'request is not JSON' });
  }
  const env = envelope.safeParse(json);
  if (!env.success) {
    const id = requestId.safeParse((json as { id?: unknown } | null)?.id);
    return err({
      id: id.success ? id.data : null,
      code: 'malformed',
      message: 'expected {"id", "type", "args"}',
    });
  }
  const { id, type } = env.data;
  if (!Object.hasOwn(requestSchemas, type))
    return err({ id, code: 'malformed', message: `unknown request type ${JSON.stringify(type)}` });
  const extra = Object.keys(json as object).filter((k) => k !== 'id' && k !== 'type' && k !== 'args');
  if (extra.length)
    return err({ id, code: 'malformed', message: `unexpected field ${JSON.stringify(extra[0])}` });
  const schema = requestSchemas[type as RequestType];
  const args = schema.safeParse((json as { args?: unknown }).args ?? {});
  if (!args.success) {
    const issue = args.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'args';
    return err({
      id,
      type: type as RequestType,
      code: 'invalid-argument',
      message: `${where}: ${issue?.message ?? 'invalid'}`,
    });
  }
  return ok({ id, type, args: args.data } as Request);
}

export function encodeRequest<T extends RequestType>(id: RequestId, type: T, args: RequestInput<T>): string {
  return `${JSON.stringify({ id, type, args })}\n`;
}

export function encodeResponse(r: Response): string {
  return `${JSON.stringify(r)}\n`;
}

const responseSchema = z.union([
  z.strictObject({ id: requestId.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    id: requestId.nullable(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.enum(REFUSAL_CODES), message: z.string().max(4096) }),
  }),
]);

/** The client's side: the helper is privileged but its replies are still validated. Never throws. */
export function parseResponse(line: string): Result<Response, string> {
  if (Buffer.byteLength(line) > MAX_MESSAGE_BYTES) return err('response too large');
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return err('response is not JSON');
  }
  const r = responseSchema.safeParse(json);
  return r.success ? ok(r.data as Response) : err('response does not match the protocol');
}

/** Human hints for each refusal, used by the client's FerryErrors. */
export const REFUSAL_HINTS: Readonly<Record<RefusalCode, string>> = {
  malformed: 'the app and the helper disagree about the protocol: reinstall Ferry',
  'too-large': 'the request was too large: reduce the number of routes or domains in the profile',
  unauthorized: 'this user may not use the Ferry helper: add the user to the ferry group',
  'invalid-argument': 'the profile contains a value the helper refuses: check routes, DNS and MTU',
  'not-ours': 'that interface was not created by this session',
  failed: 'the operating system refused the change: see the helper log',
};
