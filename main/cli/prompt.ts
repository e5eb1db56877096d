/** Asking for a secret on the terminal without echoing it. */

export interface PromptTerminal {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
}

export const processTerminal = (): PromptTerminal => ({ input: process.stdin, output: process.stderr });

/** Both ends are a terminal (so there is someone to ask). */
export function isInteractive(t: PromptTerminal = processTerminal()): boolean {
  return Boolean(t.input.isTTY && t.output.isTTY && t.input.setRawMode);
}

/** Thrown when the user presses Ctrl-C at a prompt. */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted at the prompt');
    this.name = 'PromptInterrupted';
  }
}

/**
 * Reads one line with echo off (raw mode). Backspace edits, Enter ends, Ctrl-D on an empty line gives null,
 * Ctrl-C rejects with PromptInterrupted. The typed text is never written anywhere.
 */
export function promptHidden(
  question: string,
  t: PromptTerminal = processTerminal(),
): Promise<string | null> {
  const { input, output } = t;
  return new Promise((resolve, reject) => {
    let value = '';
    output.write(question);
    input.setRawMode?.(true);
    input.resume();
    const finish = (result: () => void) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      result();
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new PromptInterrupted()));
        if (ch === '\u0004') {
          if (!value) return finish(() => resolve(null));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') {
          value = [...value].slice(0, -1).join('');
          continue;
        }
        if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}
