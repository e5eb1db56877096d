/**
 * The state file: every change the helper made and has not undone yet, as undo records in the order applied,
 * each tagged with the session that owns it. Written before a change is made (so a crash in between leaves a
 * record whose undo is a harmless no-op rather than an orphaned change) and rewritten atomically (temp file +
 * rename, mode 0600). A helper that starts and finds entries undoes them, newest first.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { err, ok, type Result } from '../../core/common/result';
import { type UndoRecord, undoRecordSchema } from './backend';

export interface JournalEntry {
  readonly seq: number;
  readonly session: string;
  /** The tunnel device this change belongs to (undone with destroyTun), or null. */
  readonly tun: string | null;
  readonly undo: UndoRecord;
}

const stateSchema = z.object({
  format: z.literal('ferry-helper-state'),
  version: z.literal(1),
  pid: z.number().int(),
  entries: z
    .array(
      z.object({
        seq: z.number().int().min(0),
        session: z.string().max(64),
        tun: z.string().max(64).nullable(),
        undo: undoRecordSchema,
      }),
    )
    .max(100_000),
});

/** Where the journal lives; the real one is a file, tests use memory. */
export interface JournalStore {
  read(): string | null;
  write(text: string): void;
  remove(): void;
}

export function fileStore(path: string): JournalStore {
  return {
    read: () => {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    write: (text) => {
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    },
    remove: () => rmSync(path, { force: true }),
  };
}

export function memoryStore(initial: string | null = null): JournalStore & { text: string | null } {
  const s = {
    text: initial,
    read: () => s.text,
    write: (t: string) => {
      s.text = t;
    },
    remove: () => {
      s.text = null;
    },
  };
  return s;
}

/** Parses a state file's text; never throws. */
export function parseState(text: string): Result<JournalEntry[], string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err('state file is not JSON');
  }
  const r = stateSchema.safeParse(json);
  if (!r.success) return err(`state file does not match the schema: ${r.error.issues[0]?.message ?? ''}`);
  return ok(r.data.entries);
}

/** The order in which leftovers are undone: newest first (routes before the device they use, etc.). */
export function repairOrder(entries: readonly JournalEntry[]): JournalEntry[] {
  return [...entries].sort((a, b) => b.seq - a.seq);
}

export class Journal {
  private entries: JournalEntry[] = [];
  private nextSeq = 0;

  constructor(
    private readonly store: JournalStore,
    private readonly pid = process.pid,
  ) {}

  /** Entries a previous helper left behind (empty when there is no file); a corrupt file is reported. */
  leftovers(): Result<JournalEntry[], string> {
    const text = this.store.read();
    if (text === null) return ok([]);
    const r = parseState(text);
    if (r.ok) {
      this.entries = r.value;
      this.nextSeq = r.value.reduce((m, e) => Math.max(m, e.seq + 1), 0);
    }
    return r;
  }

  add(session: string, tun: string | null, undo: UndoRecord): JournalEntry {
    return this.addMany(session, tun, [undo])[0]!;
  }

  /** Several records, one file write. */
  addMany(session: string, tun: string | null, undos: readonly UndoRecord[]): JournalEntry[] {
    const added = undos.map((undo) => ({ seq: this.nextSeq++, session, tun, undo }));
    this.entries.push(...added);
    if (added.length) this.persist();
    return added;
  }

  remove(entry: JournalEntry): void {
    this.removeMany([entry]);
  }

  removeMany(gone: readonly JournalEntry[]): void {
    const seqs = new Set(gone.map((e) => e.seq));
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !seqs.has(e.seq));
    if (this.entries.length !== before) this.persist();
  }

  /** Swaps an entry's undo record for a refined one (same position in the order). */
  replace(entry: JournalEntry, undo: UndoRecord): JournalEntry {
    const next: JournalEntry = { ...entry, undo };
    this.entries = this.entries.map((e) => (e.seq === entry.seq ? next : e));
    this.persist();
    return next;
  }

  /** Entries of one session (optionally only those of one device), in the order they were applied. */
  of(session: string, tun?: string): JournalEntry[] {
    return this.entries.filter((e) => e.session === session && (tun === undefined || e.tun === tun));
  }

  all(): readonly JournalEntry[] {
    return this.entries;
  }

  private persist(): void {
    if (this.entries.length === 0) {
      this.store.remove();
      return;
    }
    this.store.write(
      `${JSON.stringify({ format: 'ferry-helper-state', version: 1, pid: this.pid, entries: this.entries })}\n`,
    );
  }
}
