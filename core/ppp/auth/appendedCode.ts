/**
 * SPEC §3 MFA "otp-append": a one-time code that travels appended to the password in a PAP Authenticate-Request
 * (`<password><separator><code>`). It is held as bytes, handed out once — to the first request built — and then
 * the holder forgets it; the taker zeroes its copy as soon as the request exists. Never logged (no toJSON, no
 * string form), never kept after use.
 */
export class AppendedCode {
  private suffix: Uint8Array | null;

  constructor(code: string, separator = '') {
    this.suffix = new Uint8Array(Buffer.from(`${separator}${code}`, 'utf8'));
  }

  /** True once the code was taken or wiped: a second PAP exchange cannot resend it. */
  get spent(): boolean {
    return this.suffix === null;
  }

  /** The separator and code as bytes, once; later calls get null. The caller zeroes them after use. */
  take(): Uint8Array | null {
    const s = this.suffix;
    this.suffix = null;
    return s;
  }

  /** Forgets the code unused (the link ended before authentication). */
  wipe(): void {
    this.suffix?.fill(0);
    this.suffix = null;
  }

  toJSON(): string {
    return '[one-time code]';
  }

  toString(): string {
    return '[one-time code]';
  }
}
