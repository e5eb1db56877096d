/**
 * A FerryApi across a process boundary (for tests that run the real service in another network namespace):
 * newline-delimited JSON over a unix socket, one message per line, at most MAX_LINE_BYTES per line.
 *
 *   test → host   {"t":"invoke","id":n,"method":M,"args":[…]}            args: ipcArgs[M]
 *   host → test   {"t":"hello","protocol":"ferry-remote-api/1","pid":n}    once, on connect
 *                 {"t":"result","id":n,"result":IpcResult}                 value: RESULT_SCHEMAS[M]
 *                 {"t":"event","event":E,"payload":…}                      payload: EVENT_SCHEMAS[E]
 *                 {"t":"refused","id":n|null,"code":…,"message":…}         a line the host would not take
 *
 * Both ends validate what they send and what they receive with these zod schemas (the IPC argument schemas of
 * core/api/ipc.ts for arguments); a line that is not JSON, too long, or off-schema is refused, never acted on.
 */
import { z } from 'zod';
import {
  IPC_EVENTS,
  IPC_METHODS,
  type IpcEvent,
  type IpcEvents,
  type IpcMethod,
  type IpcResult,
  ipcArgs,
} from '../../../core/api/ipc';
import { CONNECT_PHASES } from '../../../core/common/errors';
import { err, ok, type Result } from '../../../core/common/result';
import { profileSchema } from '../../../core/profile/schema';

export const PROTOCOL = 'ferry-remote-api/1';
/** Largest line either end accepts (a diagnostics export with 5000 log entries fits easily). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

const methodName = z.enum(IPC_METHODS as [IpcMethod, ...IpcMethod[]]);
const eventName = z.enum(IPC_EVENTS as [IpcEvent, ...IpcEvent[]]);
const callId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const fieldError = z.object({ path: z.string(), message: z.string() }).strict();
const ipcError = z.looseObject({
  code: z.string().min(1).max(200),
  message: z.string().max(10_000),
  hint: z.string().max(10_000).optional(),
  phase: z.string().max(100).optional(),
  fields: z.array(fieldError).optional(),
});

const settings = z.looseObject({ launchAtLogin: z.boolean(), theme: z.enum(['system', 'light', 'dark']) });
const policy = z.looseObject({
  lockEditing: z.boolean(),
  forceFullTunnel: z.boolean(),
  forbidLegacy: z.boolean(),
  forbidPap: z.boolean(),
});

/*
 * Views are checked for the fields the renderer relies on, typed; fields added to core/api/ipc.ts later pass
 * (loose objects). Where only flags may be (which secrets are stored), the object is strict.
 */

/** A profile as the host shows it: the schema's profile (no secret fields exist in it) and which secrets exist. */
const profileView = z.looseObject({
  profile: profileSchema,
  managed: z.boolean(),
  locked: z.boolean(),
  secrets: z.object({ psk: z.boolean(), password: z.boolean(), clientKey: z.boolean() }).strict(),
  warnings: z.array(z.string()),
});

const connectPhase = z.enum(CONNECT_PHASES);
const connectionState = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('idle') }),
  z.looseObject({ kind: z.literal('connecting'), phase: connectPhase }),
  z.looseObject({
    kind: z.literal('connected'),
    since: z.number(),
    addresses: z.looseObject({
      localIp: z.string(),
      peerIp: z.string(),
      dns: z.array(z.string()),
      mtu: z.number(),
    }),
    algorithms: z.looseObject({
      ike: z.string().optional(),
      esp: z.string().optional(),
      natT: z.string().optional(),
      pppAuth: z.string().optional(),
      legacy: z.boolean().optional(),
    }),
  }),
  z.looseObject({ kind: z.literal('disconnecting') }),
  z.looseObject({ kind: z.literal('disconnected'), reason: z.enum(['user', 'peer']) }),
  z.looseObject({
    kind: z.literal('failed'),
    phase: z.string(),
    code: z.string(),
    message: z.string(),
    hint: z.string(),
  }),
]);

const connectionView = z.looseObject({
  profileId: z.string(),
  state: connectionState,
  phases: z.array(
    z.looseObject({
      phase: connectPhase,
      startMs: z.number(),
      durationMs: z.number().nullable(),
      result: z.enum(['running', 'ok', 'failed', 'skipped']),
      detail: z.string().optional(),
    }),
  ),
  counters: z
    .looseObject({ ip: z.looseObject({ packetsIn: z.number(), packetsOut: z.number() }) })
    .nullable(),
  routes: z.array(z.string()),
  dns: z.array(z.string()),
  reconnect: z.looseObject({ attempt: z.number(), inMs: z.number() }).nullable(),
});

const mfaPrompt = z.discriminatedUnion('kind', [
  z.looseObject({
    id: z.string(),
    profileId: z.string(),
    kind: z.literal('otp'),
    expiresInSeconds: z.number(),
    deadline: z.number().optional(),
    retry: z.boolean(),
    rejected: z.looseObject({ code: z.string(), message: z.string(), hint: z.string() }).optional(),
    digits: z.looseObject({ min: z.number(), max: z.number() }),
  }),
  z.looseObject({
    id: z.string(),
    profileId: z.string(),
    kind: z.literal('push'),
    expiresInSeconds: z.number(),
    deadline: z.number().optional(),
  }),
]);

const logEntry = z.looseObject({
  ts: z.number(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  scope: z.string(),
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()),
});

const fileText = z.looseObject({ fileName: z.string().min(1).max(255), text: z.string() });

/** What each event carries. */
export const EVENT_SCHEMAS: { readonly [E in IpcEvent]: z.ZodType } = {
  profiles: z.array(profileView),
  connection: connectionView,
  mfa: mfaPrompt.nullable(),
  log: logEntry,
  settings,
};

/** What each method's success value is. */
export const RESULT_SCHEMAS: { readonly [M in IpcMethod]: z.ZodType } = {
  snapshot: z.looseObject({
    version: z.string(),
    profiles: z.array(profileView),
    connections: z.array(connectionView),
    policy,
    settings,
    mfa: mfaPrompt.nullable(),
  }),
  saveProfile: profileView,
  deleteProfile: z.null(),
  importProfileFile: profileView,
  exportProfileFile: fileText,
  setSecret: z.null(),
  clearSecret: z.null(),
  importCertificate: z.looseObject({
    subject: z.string(),
    issuer: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    fingerprintSha256: z.string(),
    hasPrivateKey: z.boolean(),
    isCa: z.boolean(),
  }),
  connect: z.null(),
  disconnect: z.null(),
  answerMfa: z.null(),
  diagnostics: z.looseObject({ connection: connectionView.nullable(), log: z.array(logEntry) }),
  exportDiagnostics: fileText,
  setSettings: settings,
};

export type RefusalCode = 'malformed' | 'too-large' | 'invalid-argument' | 'unknown-call' | 'invalid-result';

export type ToHost = {
  readonly t: 'invoke';
  readonly id: number;
  readonly method: IpcMethod;
  readonly args: readonly unknown[];
};

export type ToTest =
  | { readonly t: 'hello'; readonly protocol: typeof PROTOCOL; readonly pid: number }
  | { readonly t: 'result'; readonly id: number; readonly result: IpcResult<unknown> }
  | { readonly t: 'event'; readonly event: IpcEvent; readonly payload: unknown }
  | {
      readonly t: 'refused';
      readonly id: number | null;
      readonly code: RefusalCode;
      readonly message: string;
    };

const toHostSchema = z
  .object({ t: z.literal('invoke'), id: callId, method: methodName, args: z.array(z.unknown()).max(8) })
  .strict();

const ipcResult = z.discriminatedUnion('type', [
  z.object({ type: z.literal('success'), value: z.unknown() }).strict(),
  z.object({ type: z.literal('error'), error: ipcError }).strict(),
]);

const toTestSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), protocol: z.literal(PROTOCOL), pid: z.number().int() }).strict(),
  z.object({ t: z.literal('result'), id: callId, result: ipcResult }).strict(),
  z.object({ t: z.literal('event'), event: eventName, payload: z.unknown() }).strict(),
  z
    .object({
      t: z.literal('refused'),
      id: callId.nullable(),
      code: z.enum(['malformed', 'too-large', 'invalid-argument', 'unknown-call', 'invalid-result']),
      message: z.string().max(1000),
    })
    .strict(),
]);

export interface ProtocolProblem {
  readonly code: RefusalCode;
  readonly message: string;
  /** The call the problem belongs to, when the line named one. */
  readonly id: number | null;
}

const problem = (code: RefusalCode, message: string, id: number | null = null): ProtocolProblem => ({
  code,
  message: message.slice(0, 1000),
  id,
});

const describeIssues = (e: z.ZodError): string =>
  e.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');

function parseJson(line: Buffer | string): Result<unknown, ProtocolProblem> {
  const text = typeof line === 'string' ? line : line.toString('utf8');
  if (Buffer.byteLength(text) > MAX_LINE_BYTES)
    return err(problem('too-large', `line over ${MAX_LINE_BYTES} bytes`));
  try {
    return ok(JSON.parse(text));
  } catch {
    return err(problem('malformed', 'not JSON'));
  }
}

/** An id found in an otherwise unusable message, so a refusal can name the call it answers. */
function idOf(v: unknown): number | null {
  const id = (v as { id?: unknown } | null)?.id;
  return typeof id === 'number' && callId.safeParse(id).success ? id : null;
}

/** The value of an argument list once the method's IPC schema accepted it. */
export function checkArgs(method: IpcMethod, args: unknown): Result<unknown[], z.ZodError> {
  const r = ipcArgs[method].safeParse(args);
  return r.success ? ok(r.data as unknown[]) : err(r.error);
}

/** Host side: one line from the test process. */
export function decodeToHost(line: Buffer | string): Result<ToHost, ProtocolProblem> {
  const json = parseJson(line);
  if (!json.ok) return json;
  const env = toHostSchema.safeParse(json.value);
  if (!env.success) return err(problem('malformed', describeIssues(env.error), idOf(json.value)));
  const args = checkArgs(env.data.method, env.data.args);
  if (!args.ok)
    return err(problem('invalid-argument', `${env.data.method}: ${describeIssues(args.error)}`, env.data.id));
  return ok({ t: 'invoke', id: env.data.id, method: env.data.method, args: args.value });
}

/** Test side: one line from the host; `methodOf` names the method of a pending call id. */
export function decodeToTest(
  line: Buffer | string,
  methodOf: (id: number) => IpcMethod | undefined,
): Result<ToTest, ProtocolProblem> {
  const json = parseJson(line);
  if (!json.ok) return json;
  const env = toTestSchema.safeParse(json.value);
  if (!env.success) return err(problem('malformed', describeIssues(env.error), idOf(json.value)));
  const m = env.data;
  if (m.t === 'event') {
    const p = EVENT_SCHEMAS[m.event].safeParse(m.payload);
    if (!p.success) return err(problem('malformed', `event ${m.event}: ${describeIssues(p.error)}`));
  }
  if (m.t === 'result') {
    const method = methodOf(m.id);
    if (method === undefined) return err(problem('unknown-call', `no call ${m.id} is pending`, m.id));
    if (m.result.type === 'success') {
      const v = RESULT_SCHEMAS[method].safeParse(m.result.value);
      if (!v.success) return err(problem('invalid-result', `${method}: ${describeIssues(v.error)}`, m.id));
    }
  }
  return ok(m as ToTest);
}

/** Host side, before sending: a result whose value is off-schema is replaced by an error result. */
export function checkedResult(method: IpcMethod, result: IpcResult<unknown>): IpcResult<unknown> {
  const shape = ipcResult.safeParse(result);
  if (!shape.success)
    return { type: 'error', error: { code: 'invalid-result', message: `${method}: malformed IpcResult` } };
  if (result.type === 'success') {
    const v = RESULT_SCHEMAS[method].safeParse(result.value);
    if (!v.success)
      return {
        type: 'error',
        error: { code: 'invalid-result', message: `${method}: ${describeIssues(v.error)}` },
      };
  }
  return result;
}

/** Host side, before sending: whether an event payload is on-schema. */
export function checkEvent<E extends IpcEvent>(event: E, payload: IpcEvents[E]): boolean {
  return EVENT_SCHEMAS[event].safeParse(payload).success;
}

/** One message as one line (newline-terminated); null when it would exceed MAX_LINE_BYTES. */
export function encodeLine(message: ToHost | ToTest): string | null {
  const text = JSON.stringify(message);
  return Buffer.byteLength(text) > MAX_LINE_BYTES ? null : `${text}\n`;
}
