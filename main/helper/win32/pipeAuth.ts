/**
 * Who may use the helper's pipe on Windows, decided twice, as on Linux:
 *  1. the pipe's DACL (`pipeSddl`): SYSTEM and Administrators full control, and read/write for the interactive
 *     users (S-1-5-4, which network logons and services lack) or for the group given with `--group SID`;
 *  2. each connection's token, read before a byte of it is: GetNamedPipeClientProcessId → OpenProcess →
 *     OpenProcessToken → GetTokenInformation (TokenUser, TokenGroups, TokenSessionId). Allowed: SYSTEM, an
 *     enabled Administrators group (an elevated token; UAC-filtered tokens hold it deny-only), an enabled
 *     INTERACTIVE or `--group` group. The token's session must be the pipe client's session
 *     (GetNamedPipeClientSessionId): a client process that exited and whose pid was reused by a process in
 *     another session (a service, another user's desktop) is refused.
 */
import type { Logger } from '../../../core/common/log';
import { err, ok, type Result } from '../../../core/common/result';
import { encodeResponse } from '../protocol';
import type { SessionStream } from '../server';
import {
  ERROR_INSUFFICIENT_BUFFER,
  type PipeKernel,
  PROCESS_QUERY_LIMITED_INFORMATION,
  TOKEN_GROUPS_CLASS,
  TOKEN_QUERY,
  TOKEN_SESSION_ID_CLASS,
  TOKEN_USER_CLASS,
} from './pipeKernel';
import { decodeTokenGroups, decodeTokenUser, groupEnabled, type TokenGroup } from './sid';

export const SID_SYSTEM = 'S-1-5-18';
export const SID_ADMINISTRATORS = 'S-1-5-32-544';
export const SID_INTERACTIVE = 'S-1-5-4';

/** The pipe's security descriptor: protected DACL, no inherited entries. IU = INTERACTIVE. */
export function pipeSddl(groupSid: string | null): string {
  return `D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;${groupSid ?? 'IU'})`;
}

export interface PipeClient {
  readonly pid: number;
  readonly sessionId: number;
  readonly user: string;
  readonly groups: readonly TokenGroup[];
}

export interface PipePolicy {
  /** Members of this group SID may connect; null = interactive users. */
  readonly group: string | null;
}

export function authorizePipeClient(c: PipeClient, policy: PipePolicy): boolean {
  if (c.user === SID_SYSTEM) return true;
  const member = (sid: string) => c.groups.some((g) => g.sid === sid && groupEnabled(g));
  return member(SID_ADMINISTRATORS) || member(policy.group ?? SID_INTERACTIVE);
}

/** Reads the identity of the process at the client end of a connected pipe instance. */
export function identifyPipeClient(k: PipeKernel, pipe: number): Result<PipeClient, string> {
  const pid = [0];
  if (!k.getNamedPipeClientProcessId(pipe, pid))
    return err(`GetNamedPipeClientProcessId failed (error ${k.lastError()})`);
  const session = [0];
  if (!k.getNamedPipeClientSessionId(pipe, session))
    return err(`GetNamedPipeClientSessionId failed (error ${k.lastError()})`);
  const process = k.openProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, pid[0]!);
  if (!process) return err(`OpenProcess(${pid[0]}) failed (error ${k.lastError()})`);
  const token = [0];
  const opened = k.openProcessToken(process, TOKEN_QUERY, token);
  const openError = k.lastError();
  k.closeHandle(process);
  if (!opened) return err(`OpenProcessToken failed (error ${openError})`);
  try {
    const user = tokenInformation(k, token[0]!, TOKEN_USER_CLASS, (b, base) => decodeTokenUser(b, base));
    if (!user.ok) return user;
    const groups = tokenInformation(k, token[0]!, TOKEN_GROUPS_CLASS, (b, base) =>
      decodeTokenGroups(b, base),
    );
    if (!groups.ok) return groups;
    const tokenSession = tokenInformation(k, token[0]!, TOKEN_SESSION_ID_CLASS, (b) =>
      b.length === 4 ? ok(Buffer.from(b).readUInt32LE(0)) : err({ message: `${b.length} bytes` }),
    );
    if (!tokenSession.ok) return tokenSession;
    if (tokenSession.value !== session[0])
      return err(
        `client pid ${pid[0]} is in session ${tokenSession.value}, the pipe client in ${session[0]}`,
      );
    return ok({ pid: pid[0]!, sessionId: session[0]!, user: user.value, groups: groups.value });
  } finally {
    k.closeHandle(token[0]!);
  }
}

const MAX_TOKEN_INFO = 64 * 1024;

/** GetTokenInformation into native memory (the structures hold absolute pointers into it), then decoded. */
function tokenInformation<T>(
  k: PipeKernel,
  token: number,
  infoClass: number,
  decode: (b: Uint8Array, base: bigint) => Result<T, { readonly message: string }>,
): Result<T, string> {
  let size = infoClass === TOKEN_SESSION_ID_CLASS ? 4 : 1024;
  for (let attempt = 0; attempt < 2; attempt++) {
    const block = k.alloc(size);
    try {
      const returned = [0];
      if (k.getTokenInformation(token, infoClass, block.ptr, size, returned)) {
        const n = Math.min(returned[0]!, size);
        const r = decode(block.view.subarray(0, n), block.address);
        return r.ok ? r : err(`token information class ${infoClass}: ${r.error.message}`);
      }
      const e = k.lastError();
      if (e !== ERROR_INSUFFICIENT_BUFFER || returned[0]! <= size || returned[0]! > MAX_TOKEN_INFO)
        return err(`GetTokenInformation(${infoClass}) failed (error ${e})`);
      size = returned[0]!;
    } finally {
      block.free();
    }
  }
  return err(`GetTokenInformation(${infoClass}): the token keeps growing`);
}

/** For a client the policy refuses: one typed refusal, logged, then the connection is closed. */
export function refusePipeClient(
  stream: SessionStream,
  client: PipeClient,
  policy: PipePolicy,
  log: Logger,
): boolean {
  if (authorizePipeClient(client, policy)) return false;
  log.warn('connection refused: peer not authorized', {
    sid: client.user,
    pid: client.pid,
    session: client.sessionId,
  });
  stream.write(
    encodeResponse({
      id: null,
      ok: false,
      error: { code: 'unauthorized', message: 'this user may not use the helper' },
    }),
  );
  stream.end();
  return true;
}
