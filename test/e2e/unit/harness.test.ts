import { describe, expect, it } from 'vitest';
import type { FerryApi } from '../../../core/api/ipc';
import { dispatch } from '../harness/server';
import { standardHost } from '../support/fixtures';
import { ScriptedFerry } from '../support/scriptedFerry';

/** The scripted host behind a proxy that records which methods the dispatcher let through. */
function spied(): { api: FerryApi; reached: string[]; ferry: ScriptedFerry } {
  const ferry = new ScriptedFerry(standardHost({ pace: { mode: 'manual' } }));
  const reached: string[] = [];
  const api = new Proxy(ferry, {
    get(t, p, r) {
      const v = Reflect.get(t, p, r);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        reached.push(String(p));
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  }) as FerryApi;
  return { api, reached, ferry };
}

describe('harness dispatch', () => {
  it('validates with ipcArgs and only then calls the implementation', async () => {
    const { api, reached, ferry } = spied();
    const bad = await dispatch(api, 'setSecret', ['office', 'psk']);
    expect(bad).toMatchObject({
      type: 'error',
      error: { code: 'invalid-arguments', message: 'invalid arguments for setSecret' },
    });
    expect(await dispatch(api, 'snapshot', { not: 'an array' })).toMatchObject({
      error: { code: 'invalid-arguments' },
    });
    expect(await dispatch(api, 'answerMfa', ['id', '1234567890'])).toMatchObject({
      error: { code: 'invalid-arguments' },
    });
    expect(reached).toEqual([]);
    expect(await dispatch(api, 'setSecret', ['office', 'psk', 'dispatch-secret'])).toEqual({
      type: 'success',
      value: null,
    });
    expect(reached).toEqual(['setSecret']);
    expect(ferry.hasSecret('office', 'psk')).toBe(true);
    ferry.dispose();
  });

  it('never echoes a secret argument in a validation error', async () => {
    const { api } = spied();
    const r = await dispatch(api, 'setSecret', ['office', 'psk', 'x'.repeat(5000)]);
    expect(r.type).toBe('error');
    expect(JSON.stringify(r)).not.toContain('xxxxxxxx');
    const r2 = await dispatch(api, 'answerMfa', ['mfa-1', 'secret-otp-123']);
    expect(JSON.stringify(r2)).not.toContain('secret-otp-123');
  });
});
