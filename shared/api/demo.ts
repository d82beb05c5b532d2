/** Demo mode only: where the stand-ins are, so the H5 build can play the payer. GET /api/demo. */
import { z } from 'zod';
import { defineEndpoint } from './contract';

export const demoEndpoints = {
  demo: defineEndpoint({
    summary: "Demo mode's sandboxes and park (404 not_found outside demo mode).",
    method: 'GET',
    path: '/api/demo',
    auth: 'none',
    response: z.object({
      parkNumber: z.string(),
      bluecardSandbox: z.string(),
      wechatPaySandbox: z.string(),
      alipaySandbox: z.string(),
      wechatLoginSandbox: z.string(),
    }),
    errors: ['not_found'],
  }),
} as const;
