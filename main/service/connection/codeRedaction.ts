/**
 * Redaction for one-time codes (SPEC §3 MFA): a code is scrubbed from every log line, error and state while one
 * connect attempt uses it, then forgotten — the shared Redactor keeps what it is given for the life of the
 * process, which would keep every code ever entered. Long-lived secrets (PSK, password) still go to the shared
 * one. An all-digit code is only matched where it is not part of a longer number (timestamps, counters).
 */
import { Redactor } from '../../../core/common/log';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class CodeRedactor extends Redactor {
  private readonly held = new Map<string, RegExp>();

  constructor(private readonly shared: Redactor) {
    super();
  }

  /** PSK, password, …: registered for good with the shared redactor. */
  override addSecret(value: string | Uint8Array | undefined | null): void {
    this.shared.addSecret(value);
  }

  /** Scrubs `code` until `release()`. */
  hold(code: string): void {
    if (code.length < 3 || this.held.has(code)) return;
    const body = escapeRegExp(code);
    this.held.set(code, new RegExp(/^\d+$/.test(code) ? `(?<![0-9])${body}(?![0-9])` : body, 'g'));
  }

  /** Forgets every held code (the attempt that used them is over). */
  release(): void {
    this.held.clear();
  }

  /** How many codes are held (tests: nothing is kept after an attempt). */
  get holding(): number {
    return this.held.size;
  }

  override scrub(text: string): string {
    let out = text;
    for (const re of this.held.values()) out = out.replace(re, '[redacted]');
    return this.shared.scrub(out);
  }
}
