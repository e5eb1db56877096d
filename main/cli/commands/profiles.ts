/** `ferry profiles` and `ferry import <file>`. */
import { readFileSync } from 'node:fs';
import type { Command } from '../args';
import { type CliContext, CliExit, openStore } from '../context';
import { EXIT } from '../exitCodes';
import { fieldErrors, profilesText } from '../output';

export async function runProfiles(ctx: CliContext): Promise<number> {
  const store = await openStore(ctx);
  if (ctx.inv.options.json)
    ctx.out(
      JSON.stringify(
        {
          policy: store.policy,
          profiles: store.list().map((s) => ({ ...s })),
          problems: store.problems,
        },
        null,
        2,
      ),
    );
  else ctx.out(profilesText(store.list(), store.problems));
  return EXIT.ok;
}

export async function runImport(ctx: CliContext, cmd: Extract<Command, { cmd: 'import' }>): Promise<number> {
  let text: string;
  try {
    text = readFileSync(cmd.file, 'utf8');
  } catch (e) {
    const message = `cannot read ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    throw new CliExit(EXIT.profile, `ferry: ${message}`, { error: { code: 'unreadable', message } });
  }
  const store = await openStore(ctx);
  const r = await store.importText(text);
  if (!r.ok) {
    const e = r.error;
    throw new CliExit(
      e.code === 'io-error' ? EXIT.internal : EXIT.profile,
      `ferry: ${cmd.file}: ${e.message}${e.fields?.length ? `\n${fieldErrors(e.fields)}` : ''}`,
      { error: e },
    );
  }
  const s = r.value;
  if (ctx.inv.options.json)
    ctx.out(
      JSON.stringify(
        { imported: s.profile.id, path: s.path, profile: s.profile, warnings: s.warnings },
        null,
        2,
      ),
    );
  else {
    ctx.out(`imported ${s.profile.id} (${s.profile.name}) into ${s.path}`);
    for (const w of s.warnings) ctx.err(`ferry: warning: ${w}`);
  }
  return EXIT.ok;
}
