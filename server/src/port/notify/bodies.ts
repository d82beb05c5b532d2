/**
 * The body parsers of the providers' notifications. WeChat signs the raw JSON body, so it is kept
 * (`rawBody`) and parsed whatever the content type says; Alipay posts a form. 64 kB is far above any real
 * notification and bounds what a stranger can make us read.
 */
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';

export const rawJson = bodyParser({ enableTypes: ['json'], detectJSON: () => true, jsonLimit: '64kb', encoding: 'utf-8' }) as unknown as Middleware;
export const form = bodyParser({ enableTypes: ['form'], formLimit: '64kb', encoding: 'utf-8' }) as unknown as Middleware;
