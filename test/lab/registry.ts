import { softetherLab } from './softether';
import { strongswanLab } from './strongswan';
import type { LabServer } from './types';

/** Every lab server; `npm run lab` and the interop global setup/teardown iterate this list. */
export const labs: LabServer[] = [softetherLab, strongswanLab];
