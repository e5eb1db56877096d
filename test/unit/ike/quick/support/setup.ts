/** Phase 1 established against the ScriptedResponder, with a QuickResponder layered on for what comes after. */
import type { IkeSaOptions } from '../../../../../core/ike/ikeSa';
import type { Harness } from '../../support/harness';
import { harness, SERVER } from '../../support/harness';
import type { ResponderOptions } from '../../support/responder';
import { QuickResponder, type QuickResponderOptions } from './quickResponder';

export interface QuickHarness extends Harness {
  readonly qr: QuickResponder;
}

export async function quickHarness(
  opts: {
    qr?: QuickResponderOptions;
    responder?: Partial<ResponderOptions>;
    sa?: Partial<IkeSaOptions>;
    seed?: number;
  } = {},
): Promise<QuickHarness> {
  const h = await harness({
    ...(opts.responder ? { responder: opts.responder } : {}),
    ...(opts.sa ? { sa: opts.sa } : {}),
    seed: opts.seed ?? 11,
  });
  await h.clock.run(h.ikeSa.establish());
  const qr = new QuickResponder(h.net, h.clock, h.responder, SERVER, opts.qr);
  return {
    ...h,
    qr,
    close: () => {
      qr.close();
      h.close();
    },
  };
}
