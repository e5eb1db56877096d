/**
 * Structured logging with redaction at the logger (never at call sites):
 *  - fields whose key looks secret (psk, password, secret, otp, key material) are replaced by '[redacted]';
 *  - every value registered with `Redactor.addSecret` is scrubbed from every string (messages, fields, errors);
 *  - byte arrays are logged as hex only for public protocol identifiers (SPIs, cookies, nonces), else by length.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogValue = string | number | boolean | null | LogValue[] | { [k: string]: LogValue };

export interface LogEntry {
  readonly ts: number;
  readonly level: LogLevel;
  readonly scope: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, LogValue>>;
}

export type LogSink = (entry: LogEntry) => void;

const SECRET_KEY =
  /(psk|pass(word|phrase)?|secret|otp|token|private|priv_?key|skeyid|keymat|^key$|enc_?key|auth_?key|shared|credential)/i;
const PUBLIC_BYTES_KEY =
  /^(spi|[ir]?spi|cookie|[ir]cookie|cookies|nonce|[ir]nonce|vid|vendorid|natd|id|peer|mac)$/i;
const REDACTED = '[redacted]';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Register a secret value (as it could appear in text) so no log line ever contains it. */
  addSecret(value: string | Uint8Array | undefined | null): void {
    if (value === undefined || value === null) return;
    if (typeof value === 'string') {
      if (value.length >= 3) this.secrets.add(value);
      return;
    }
    if (value.length >= 3) {
      this.secrets.add(Buffer.from(value).toString('hex'));
      const text = Buffer.from(value).toString('utf8');
      if (!text.includes('\uFFFD') && text.length >= 3) this.secrets.add(text);
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return out;
  }

  value(key: string, v: unknown, depth = 0): LogValue {
    if (SECRET_KEY.test(key) && !/^(has|is|use|with)[A-Z_]/.test(key))
      return v === undefined || v === null ? null : REDACTED;
    if (depth > 6) return '[depth]';
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return this.scrub(v);
    if (typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) {
      return PUBLIC_BYTES_KEY.test(key) ? Buffer.from(v).toString('hex') : `<${v.length} bytes>`;
    }
    if (v instanceof Error) {
      const o: Record<string, LogValue> = { name: v.name, message: this.scrub(v.message) };
      for (const k of ['phase', 'code', 'hint'] as const) {
        const x = (v as unknown as Record<string, unknown>)[k];
        if (typeof x === 'string') o[k] = this.scrub(x);
      }
      return o;
    }
    if (Array.isArray(v)) return v.slice(0, 64).map((x) => this.value(key, x, depth + 1));
    if (typeof v === 'object') {
      const o: Record<string, LogValue> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = this.value(k, x, depth + 1);
      return o;
    }
    return this.scrub(String(v));
  }
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
  readonly redactor: Redactor;
}

export interface LoggerOptions {
  readonly sinks: readonly LogSink[];
  readonly level?: LogLevel;
  readonly redactor?: Redactor;
  readonly scope?: string;
  readonly now?: () => number;
}

export function createLogger(opts: LoggerOptions): Logger {
  const redactor = opts.redactor ?? new Redactor();
  const min = LEVEL_RANK[opts.level ?? 'debug'];
  const now = opts.now ?? Date.now;
  const scope = opts.scope ?? 'ferry';
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVEL_RANK[level] < min) return;
    const clean: Record<string, LogValue> = {};
    if (fields) for (const [k, v] of Object.entries(fields)) clean[k] = redactor.value(k, v);
    const entry: LogEntry = { ts: now(), level, scope, msg: redactor.scrub(msg), fields: clean };
    for (const sink of opts.sinks) {
      try {
        sink(entry);
      } catch {
        // A failing sink must never break the protocol stack.
      }
    }
  };
  return {
    redactor,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (sub) => createLogger({ ...opts, redactor, scope: `${scope}.${sub}` }),
  };
}

/** Keeps the last `capacity` entries for diagnostics views and exports. */
export class RingBufferSink {
  private readonly entries: LogEntry[] = [];
  constructor(private readonly capacity = 5000) {}
  readonly sink: LogSink = (e) => {
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  };
  snapshot(): LogEntry[] {
    return [...this.entries];
  }
}

export function formatLogEntry(e: LogEntry): string {
  const fields = Object.keys(e.fields).length ? ` ${JSON.stringify(e.fields)}` : '';
  return `${new Date(e.ts).toISOString()} ${e.level.padEnd(5)} ${e.scope}: ${e.msg}${fields}`;
}

/** A logger that drops everything (default for unit tests and library use). */
export const silentLogger: Logger = createLogger({ sinks: [] });
