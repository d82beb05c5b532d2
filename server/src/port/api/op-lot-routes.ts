/** Barrier lift, spaces, find a car, stays and their pictures for operators (contracts: shared/api/op-lot.ts). */
import type Router from '@koa/router';
import { opLotEndpoints as ep } from '../../../../shared/api/op-lot';
import type { Stay } from '../../core/lot/model';
import type { LotOpsService } from '../../core/operators/lot-ops';
import { auditFacts, mount } from './mount';

export function opStayView(s: Stay) {
  return {
    orderId: s.orderId,
    plate: s.plate,
    status: s.status,
    inTime: (s.entry?.inTime ?? s.exit?.inTime)?.toISOString() ?? null,
    outTime: s.exit?.outTime?.toISOString() ?? null,
    inChannel: s.entry?.inChannel || null,
    outChannel: s.exit?.outChannel || null,
    inImage: s.entry?.inImage || null,
    outImage: s.exit?.outImage || null,
    chargeFen: s.exit ? s.exit.chargeFen : null,
  };
}

const DIRECTION = { in: '入口', out: '出口' } as const;

export function mountOpLotRoutes(router: Router, lot: LotOpsService): void {
  mount(router, ep.requestLift, async ({ params, body, operator, ctx }) => {
    auditFacts(ctx, ep.requestLift, { reason: body.reason });
    const r = await lot.requestLift(operator, params.parkNumber, params.passagewayId, body.reason);
    auditFacts(ctx, ep.requestLift, { laneName: r.lane.name });
    const where = `${r.lane.direction ? `${DIRECTION[r.lane.direction]} ` : ''}${r.lane.name}`;
    return {
      confirmationId: r.confirmationId,
      expiresAt: r.expiresAt.toISOString(),
      lane: r.lane,
      prompt: `确认立即抬起「${where}」的道闸？请确认现场安全。`,
    };
  });

  mount(router, ep.lift, async ({ params, body, operator, ctx }) => {
    const r = await lot.lift(operator, params.parkNumber, params.passagewayId, body.confirmationId);
    auditFacts(ctx, ep.lift, { laneName: r.lane.name, reason: r.reason });
    return { lifted: true as const, at: r.liftedAt.toISOString(), lane: r.lane };
  });

  mount(router, ep.spaces, async ({ params, operator }) => {
    const r = await lot.spaces(operator, params.parkNumber);
    return { ...r, fetchedAt: r.fetchedAt.toISOString() };
  });

  mount(router, ep.findCar, async ({ params, query, operator }) => ({ cars: await lot.findCar(operator, params.parkNumber, query.plate ?? '') }));

  mount(router, ep.stays, async ({ params, query, operator }) => ({ stays: (await lot.stays(operator, params.parkNumber, query.plate)).map(opStayView) }));

  mount(router, ep.stayPictures, async ({ params, operator }) => {
    const r = await lot.stayPictures(operator, params.parkNumber, params.orderId);
    return { stay: opStayView(r.stay), pictures: r.pictures, lotError: r.lotError };
  });
}
