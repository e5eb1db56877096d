/** Builds the init scripts a page needs: the window.ferry bridge (preload.ts) and the test hooks. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { IPC_EVENTS, IPC_METHODS } from '../../../core/api/ipc';
import type { BridgeConfig } from './preload';

const HERE = dirname(fileURLToPath(import.meta.url));
let cached: Promise<string> | null = null;

/** The bridge as one self-contained script (built once per process). */
export function bridgeScript(): Promise<string> {
  cached ??= (async () => {
    const config: BridgeConfig = { methods: IPC_METHODS, events: IPC_EVENTS, openTimeoutMs: 5000 };
    const out = await build({
      stdin: {
        contents: `import { installFerryBridge } from './preload';\ninstallFerryBridge(${JSON.stringify(config)});\n`,
        resolveDir: HERE,
        loader: 'ts',
        sourcefile: 'ferry-bridge.ts',
      },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: ['chrome130'],
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  })();
  return cached;
}

/**
 * Test-only hooks: the app hands its store to `__ferryTestHooks__.onStore` when that exists (never in Electron).
 * Every state the store ever takes is kept serialised, so tests can prove no secret was ever in it.
 */
export const TEST_HOOKS_SCRIPT = `(() => {
  if (location.protocol !== 'http:' || window.top !== window) return;
  const states = [];
  window.__ferryStates__ = states;
  window.__ferryTestHooks__ = {
    onStore(store) {
      window.__ferryStore__ = store;
      states.push(JSON.stringify(store.getState()));
      store.subscribe((s) => states.push(JSON.stringify(s)));
    },
  };
})();`;
