import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { createLogger, RingBufferSink } from '../../../core/common/log';

describe('logger redaction', () => {
  it('redacts secret-looking keys, registered secret values and key material bytes', () => {
    const ring = new RingBufferSink();
    const log = createLogger({ sinks: [ring.sink] });
    log.redactor.addSecret('hunter2-psk');
    log.info('connecting with hunter2-psk', {
      psk: 'hunter2-psk',
      password: 'pw',
      note: 'the psk is hunter2-psk',
      skeyidE: new Uint8Array(32),
      spi: new Uint8Array([1, 2, 3, 4]),
      err: new FerryError({ phase: 'auth', code: 'x', message: 'bad hunter2-psk', hint: 'h' }),
      hasPassword: true,
    });
    const text = JSON.stringify(ring.snapshot());
    expect(text).not.toContain('hunter2-psk');
    expect(text).not.toContain('"pw"');
    const e = ring.snapshot()[0]!;
    expect(e.fields.spi).toBe('01020304');
    expect(e.fields.skeyidE).toBe('[redacted]');
    expect(e.fields.hasPassword).toBe(true);
  });
});
