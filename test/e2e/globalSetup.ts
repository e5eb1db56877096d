/** Builds the renderer once before the browser tests and checks that Chromium is there. */
import { existsSync } from 'node:fs';
import { buildRenderer } from '../../scripts/build-renderer';
import { CHROMIUM_PATH } from './harness/browser';

export default async function setup(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `e2e tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set FERRY_CHROMIUM)`,
    );
  const report = await buildRenderer();
  const js = report.files.find((f) => f.name === 'app.js');
  console.log(
    `renderer built: app.js ${js?.bytes} B (gzip ${js?.gzipBytes} B), total ${report.totalBytes} B`,
  );
}
