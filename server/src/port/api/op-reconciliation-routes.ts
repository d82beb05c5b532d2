/**
 * Daily reconciliation for operators (contracts: shared/api/op-reconciliation.ts), and its CSV: a
 * hand-written route (the answer is text/csv) with the same operator authentication and park check that
 * mount() gives contracts.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { opReconciliationEndpoints, RECONCILIATION_CSV_PATH, type DailyReconciliationView } from '../../../../shared/api/op-reconciliation';
import { HttpError } from '../http/errors';
import { assertParkAccess, assertRole } from '../../core/operators/model';
import { reconciliationCsv } from '../../core/reconciliation/csv';
import type { ReconciliationService } from '../../core/reconciliation/daily';
import { CHANNELS, type DailyReconciliation } from '../../core/reconciliation/model';
import { authenticateOperator, operatorAuthOf } from './driver-auth';
import { mount } from './mount';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

function reportView(r: DailyReconciliation): DailyReconciliationView {
  return {
    parkNumber: r.parkNumber,
    date: r.date,
    from: r.from.toISOString(),
    to: r.to.toISOString(),
    generatedAt: r.generatedAt.toISOString(),
    summary: r.summary,
    rows: r.rows.map((x) => ({
      status: x.status,
      channel: x.channel,
      plate: x.plate,
      orderId: x.orderId,
      at: iso(x.at),
      ours: x.ours ? { ...x.ours, paidAt: x.ours.paidAt.toISOString() } : null,
      lot: x.lot ? { ...x.lot, at: iso(x.lot.at) } : null,
      differenceFen: x.differenceFen,
      takingsFen: x.takingsFen,
    })),
  };
}

const csvQuery = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a China date yyyy-MM-dd') });

export function mountOpReconciliationRoutes(router: Router, recon: ReconciliationService): void {
  mount(router, opReconciliationEndpoints.daily, async ({ operator, params, query }) => {
    assertRole(operator, 'admin', 'operator');
    return reportView(await recon.daily(params.parkNumber, query.date));
  });

  mount(router, opReconciliationEndpoints.takings, async ({ operator, params, query }) => {
    assertRole(operator, 'admin', 'operator');
    return { channels: [...CHANNELS], days: await recon.takings(params.parkNumber, query.from, query.to) };
  });

  const opAuth = operatorAuthOf(router);
  if (!opAuth) throw new Error(`GET ${RECONCILIATION_CSV_PATH}: needs withOperatorAuth(router, …) first`);
  router.get(RECONCILIATION_CSV_PATH, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    const op = await authenticateOperator(ctx, opAuth.authenticator);
    const parkNumber = String(ctx.params.parkNumber);
    assertParkAccess(op, parkNumber);
    assertRole(op, 'admin', 'operator');
    const q = csvQuery.safeParse({ ...ctx.query });
    if (!q.success) throw new HttpError('validation_failed', `query.date: ${q.error.issues[0]!.message}`, 400);
    const report = await recon.daily(parkNumber, q.data.date);
    ctx.status = 200;
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('content-disposition', `attachment; filename="reconciliation-${parkNumber.replace(/[^\w.-]/g, '_')}-${q.data.date}.csv"`);
    ctx.body = reconciliationCsv(report);
  });
}
