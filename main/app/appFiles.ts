/**
 * Where the app's pieces are, relative to the app root (the repository in development, `resources/app.asar`
 * when packaged): main/app/build.ts writes them, build/electron-builder.yml packs them, main.ts loads them.
 */
import { join } from 'node:path';

export const APP_OUT_DIR = 'dist/app';
export const MAIN_BUNDLE = `${APP_OUT_DIR}/main.mjs`;
export const PRELOAD_BUNDLE = `${APP_OUT_DIR}/preload.cjs`;
export const RENDERER_DIR = 'dist/renderer';
export const ICON_DIR = 'assets/png';
/** The helper, its native module and its Node runtime: packed outside the asar, into resources/helper. */
export const HELPER_OUT_DIR = 'dist/helper';
export const HELPER_BUNDLE = `${HELPER_OUT_DIR}/ferry-helper.mjs`;

export interface AppFiles {
  readonly preload: string;
  readonly renderer: string;
  readonly icons: string;
}

export function appFiles(appRoot: string): AppFiles {
  return {
    preload: join(appRoot, PRELOAD_BUNDLE),
    renderer: join(appRoot, RENDERER_DIR),
    icons: join(appRoot, ICON_DIR),
  };
}
