/**
 * One Ferry per user session: the first instance takes Electron's single-instance lock; a later one quits at
 * once, and the first is told (`second-instance`) with the later one's command line — it shows its window and
 * imports any `.ferry.json` file the user opened.
 */

export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  on(
    event: 'second-instance',
    listener: (event: unknown, argv: string[], workingDirectory: string) => void,
  ): unknown;
}

/** True when this process is the one Ferry; false when it must quit (it already asked the app to). */
export function claimSingleInstance(
  app: SingleInstanceApp,
  onSecondInstance: (argv: readonly string[], workingDirectory: string) => void,
): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv, workingDirectory) => onSecondInstance(argv, workingDirectory));
  return true;
}
