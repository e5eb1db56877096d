/**
 * The control protocol between `ferry status|diag|disconnect` and a running `ferry connect`: one JSON request
 * line, one JSON response line, over a 0600 Unix socket in a 0700 directory of the same user.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../../../core/common/result';

export const CONTROL_REQUESTS = ['status', 'diag', 'disconnect'] as const;
export type ControlRequestType = (typeof CONTROL_REQUESTS)[number];

export interface ControlRequest {
  readonly id: number;
  readonly type: ControlRequestType;
}

export type ControlResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string };
    };

export const MAX_CONTROL_LINE = 4 * 1024 * 1024;

const requestSchema = z.strictObject({ id: z.number().int().min(0), type: z.enum(CONTROL_REQUESTS) });
const responseSchema = z.union([
  z.strictObject({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    id: z.number().int(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.string().max(64), message: z.string().max(4096) }),
  }),
]);

export function parseControlRequest(line: string): Result<ControlRequest, string> {
  try {
    const r = requestSchema.safeParse(JSON.parse(line));
    return r.success ? ok(r.data) : err('expected {"id": n, "type": "status" | "diag" | "disconnect"}');
  } catch {
    return err('not JSON');
  }
}

export function parseControlResponse(line: string): Result<ControlResponse, string> {
  try {
    const r = responseSchema.safeParse(JSON.parse(line));
    return r.success ? ok(r.data as ControlResponse) : err('response does not match the control protocol');
  } catch {
    return err('response is not JSON');
  }
}
