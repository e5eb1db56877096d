/**
 * IPC sender validation (Electron security checklist 17): a call is served only when it comes from the main
 * frame of Ferry's own window, showing a page at the app's origin. Sub-frames, other webContents, frames that
 * navigated away and any other origin are refused — whatever the preload would allow.
 */
import { isAppUrl } from './appOrigin';
import type { InvokeEventPort } from './ports';

export type SenderVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: 'no-frame' | 'foreign-contents' | 'sub-frame' | 'foreign-origin';
      /** scheme://host of the caller (never the full URL), for the log line. */
      readonly origin: string | null;
    };

function originOf(url: string): string {
  try {
    const u = new URL(url);
    return u.host ? `${u.protocol}//${u.host}` : u.protocol;
  } catch {
    return '(unparseable)';
  }
}

/** `trustedContentsId`: the webContents id of the main window (null when there is none). */
export function checkSender(event: InvokeEventPort, trustedContentsId: number | null): SenderVerdict {
  const frame = event.senderFrame;
  if (!frame) return { ok: false, reason: 'no-frame', origin: null };
  const origin = originOf(frame.url);
  if (trustedContentsId === null || event.sender.id !== trustedContentsId)
    return { ok: false, reason: 'foreign-contents', origin };
  if (frame.parent !== null) return { ok: false, reason: 'sub-frame', origin };
  if (!isAppUrl(frame.url)) return { ok: false, reason: 'foreign-origin', origin };
  return { ok: true };
}
