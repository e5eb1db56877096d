/**
 * Imported first: zod must not probe `new Function` (its JIT) under the CSP `script-src 'self'`, which would
 * report a violation even though zod catches the error.
 */
import { z } from 'zod';

z.config({ jitless: true });
