/**
 * Imported first by main.ts: zod decides whether to compile parsers with `new Function`
 * when schemas are constructed, and the page's CSP has no 'unsafe-eval'.
 */
import { z } from 'zod';

z.config({ jitless: true });
