/**
 * Newline-delimited framing with a hard line limit. An over-long line is reported once as 'too-large' and
 * skipped up to its newline, so one bad request never desynchronises the stream or costs unbounded memory.
 */
export type Frame = { readonly kind: 'line'; readonly line: Buffer } | { readonly kind: 'too-large' };

export class LineFramer {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!this.discarding) {
        if (this.size + piece.length > this.maxLine) {
          this.parts = [];
          this.size = 0;
          this.discarding = true;
          out.push({ kind: 'too-large' });
        } else if (piece.length) {
          this.parts.push(piece);
          this.size += piece.length;
        }
      }
      if (nl < 0) break;
      if (!this.discarding) {
        const line =
          this.parts.length === 1 ? Buffer.from(this.parts[0]!) : Buffer.concat(this.parts, this.size);
        const trimmed = line.length && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
        if (trimmed.length) out.push({ kind: 'line', line: trimmed });
      }
      this.parts = [];
      this.size = 0;
      this.discarding = false;
      start = nl + 1;
    }
    return out;
  }

  /** Bytes buffered in an unfinished line. */
  get pending(): number {
    return this.size;
  }
}
