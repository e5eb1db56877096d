/** The client authenticator for the method LCP agreed on. */

import { ChapClient } from './chap';
import { EapClient } from './eap';
import type { AuthMethod } from './methods';
import { PapClient } from './pap';
import type { AuthContext, Authenticator } from './types';

export function createAuthenticator(method: AuthMethod, ctx: AuthContext): Authenticator {
  switch (method) {
    case 'pap':
      return new PapClient(ctx);
    case 'chap-md5':
      return new ChapClient(ctx, 'chap-md5');
    case 'mschapv2':
      return new ChapClient(ctx, 'mschapv2');
    case 'eap':
      return new EapClient(ctx);
  }
}
