/** /api/op/parks… (contracts: shared/api/op-parks.ts). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { buildPath } from '../../../../shared/api/contract';
import { opParkEndpoints as ep } from '../../../../shared/api/op-parks';
import type { OperatorLane, ParkAdminService } from '../../core/operators/parks';
import type { Park } from '../../core/parks';
import { mount } from './mount';

export function opParkView(p: Park) {
  return { parkNumber: p.parkNumber, name: p.name ?? null, bluecardBaseUrl: p.bluecardBaseUrl, hasKey: Boolean(p.key), settings: p.settings ?? {} };
}

export function opLaneView(l: OperatorLane) {
  const params = { parkNumber: l.parkNumber, passagewayId: l.passagewayId };
  return {
    ...l,
    lotUpdatedAt: l.lotUpdatedAt.toISOString(),
    codes: { png: buildPath(ep.laneQrPng, params), svg: buildPath(ep.laneQrSvg, params), poster: buildPath(ep.lanePoster, params) },
  };
}

/** A file name for Content-Disposition: ASCII fallback plus the UTF-8 name (RFC 6266 / 5987). */
function attachment(ctx: Context, name: string, inline = true): void {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  ctx.set('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
}

export function mountOpParkRoutes(router: Router, parks: ParkAdminService): void {
  mount(router, ep.listParks, async ({ operator }) => ({ parks: (await parks.listParks(operator)).map(opParkView) }));

  mount(router, ep.registerPark, async ({ body, operator, ctx }) => {
    ctx.state.auditTarget = `park ${body.parkNumber}`;
    return opParkView(await parks.registerPark(operator, body));
  });

  mount(router, ep.park, async ({ params, operator }) => opParkView(await parks.park(operator, params.parkNumber)));

  mount(router, ep.updatePark, async ({ params, body, operator, ctx }) => {
    // Names the fields changed, never the key.
    ctx.state.auditTarget = `park ${params.parkNumber}: ${Object.keys(body).filter((k) => body[k as keyof typeof body] !== undefined).join(', ') || 'nothing'}`;
    return opParkView(await parks.updatePark(operator, params.parkNumber, body));
  });

  mount(router, ep.lanes, async ({ params, operator }) => ({ lanes: (await parks.lanes(operator, params.parkNumber)).map(opLaneView) }));

  mount(router, ep.updateLane, async ({ params, body, operator, ctx }) => {
    ctx.state.auditTarget = `lane ${params.passagewayId}`;
    return opLaneView(await parks.updateLane(operator, params.parkNumber, params.passagewayId, body));
  });

  mount(router, ep.laneQrPng, async ({ params, query, operator, ctx }) => {
    const { png } = await parks.qrPng(operator, params.parkNumber, params.passagewayId, query.size);
    ctx.type = 'image/png';
    attachment(ctx, `lane-${params.parkNumber}-${params.passagewayId}.png`);
    return png;
  });

  mount(router, ep.laneQrSvg, async ({ params, operator, ctx }) => {
    const { svg } = await parks.qrSvg(operator, params.parkNumber, params.passagewayId);
    ctx.type = 'image/svg+xml';
    attachment(ctx, `lane-${params.parkNumber}-${params.passagewayId}.svg`);
    return svg;
  });

  mount(router, ep.lanePoster, async ({ params, operator, ctx }) => {
    const { lane, pdf } = await parks.poster(operator, params.parkNumber, params.passagewayId);
    ctx.type = 'application/pdf';
    attachment(ctx, `${params.parkNumber}-${lane.name}.pdf`);
    return pdf;
  });
}
