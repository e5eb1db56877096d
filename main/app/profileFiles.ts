/**
 * `.ferry.json` files opened from the file manager (the installers register the extension): found on the command
 * line (Windows, Linux, a second instance) or in macOS's `open-file`, confirmed by the user, then imported
 * through the same host method as the UI's import — schema-validated, policy-checked, secrets excluded.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IpcResult } from '../../core/api/ipc';
import type { Logger } from '../../core/common/log';
import type { FerryHost } from './host';

export const PROFILE_EXTENSION = '.ferry.json';
/** The host refuses larger texts (ipcArgs.importProfileFile). */
export const MAX_PROFILE_FILE = 1024 * 1024;

function asPath(arg: string, workingDirectory: string): string | null {
  if (arg.startsWith('file://')) {
    try {
      return fileURLToPath(arg);
    } catch {
      return null;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) return null;
  return isAbsolute(arg) ? arg : resolve(workingDirectory, arg);
}

/**
 * Arguments naming profile files, made absolute against the launching directory: paths, or file:// URLs (Linux
 * desktop entries pass %U). Options and other URLs are never files. argv[0] is the executable.
 */
export function profileFileArgs(argv: readonly string[], workingDirectory: string): string[] {
  const files: string[] = [];
  for (const a of argv.slice(1)) {
    if (a.startsWith('-')) continue;
    const p = asPath(a, workingDirectory);
    if (p === null || !p.toLowerCase().endsWith(PROFILE_EXTENSION)) continue;
    if (!files.includes(p)) files.push(p);
  }
  return files;
}

export interface ImportProfileFilesOptions {
  readonly host: Pick<FerryHost, 'invoke'>;
  readonly readFile: (
    path: string,
  ) => Promise<{ readonly size: number; readonly text: () => Promise<string> }>;
  /** Asks the user whether to import `fileName`. */
  readonly confirm: (fileName: string) => Promise<boolean>;
  /** Tells the user what went wrong with `fileName`. */
  readonly report: (fileName: string, message: string) => void;
  readonly logger: Logger;
}

export type ImportOutcome = 'imported' | 'declined' | 'failed';

export async function importProfileFiles(
  paths: readonly string[],
  o: ImportProfileFilesOptions,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const path of paths) {
    const name = basename(path);
    if (!(await o.confirm(name))) {
      outcomes.push('declined');
      continue;
    }
    let text: string;
    try {
      const file = await o.readFile(path);
      if (file.size > MAX_PROFILE_FILE) {
        o.report(name, 'The file is too large to be a Ferry profile.');
        outcomes.push('failed');
        continue;
      }
      text = await file.text();
    } catch (e) {
      o.logger.warn('cannot read a profile file', { file: name, error: e });
      o.report(name, 'The file cannot be read.');
      outcomes.push('failed');
      continue;
    }
    const r = (await o.host.invoke('importProfileFile', [text])) as IpcResult<unknown>;
    if (r.type === 'success') {
      o.logger.info('profile imported from a file', { file: name });
      outcomes.push('imported');
    } else {
      const fields = r.error.fields?.map((f) => `${f.path || '(file)'}: ${f.message}`) ?? [];
      o.report(name, [r.error.message, r.error.hint, ...fields].filter(Boolean).join('\n'));
      outcomes.push('failed');
    }
  }
  return outcomes;
}
