/** /api/op/parks… (contracts: shared/api/op-parks.ts). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import { buildPath } from '../../../../shared/api/contract';
import type { AuditFactsOf } from '../../../../shared/api/op-audit';
import { opParkEndpoints as ep, type parkSettingsSchema } from '../../../../shared/api/op-parks';
import type { EffectiveSettings, OperatorLane, ParkAdminService } from '../../core/operators/parks';
import type { Park } from '../../core/parks';
import { auditFacts, mount } from './mount';

export function opParkView(p: Park, effective: EffectiveSettings) {
  return { parkNumber: p.parkNumber, name: p.name ?? null, bluecardBaseUrl: p.bluecardBaseUrl, hasKey: Boolean(p.key), settings: p.settings ?? {}, effective };
}

export function opLaneView(l: OperatorLane) {
  const params = { parkNumber: l.parkNumber, passagewayId: l.passagewayId };
  return {
    ...l,
    lotUpdatedAt: l.lotUpdatedAt.toISOString(),
    codes: { png: buildPath(ep.laneQrPng, params), svg: buildPath(ep.laneQrSvg, params), poster: buildPath(ep.lanePoster, params) },
  };
}

type ParkSettingsInput = z.input<typeof parkSettingsSchema>;

/** What a park change changed, for the audit log: each setting with its new value; of the key only that it changed. */
export function parkChangeFacts(body: { name?: string; key?: string; bluecardBaseUrl?: string; settings?: ParkSettingsInput }): AuditFactsOf<typeof ep.updatePark> {
  const s = body.settings ?? {};
  const facts: AuditFactsOf<typeof ep.updatePark> = {
    name: body.name,
    bluecardBaseUrl: body.bluecardBaseUrl,
    keyChanged: body.key !== undefined ? true : undefined,
    laneQrProvider: s.laneQrProvider,
    channelPayPolicy: s.channelPayPolicy,
    openGateBlacklist: s.openGate?.blacklist,
    openGateBookings: s.openGate?.bookings,
    withholdingMaxPerDeductionFen: s.withholding?.maxPerDeductionFen,
    withholdingMaxPerDayFen: s.withholding?.maxPerDayFen,
    tariffText: s.service?.tariffText,
    freeMinutes: s.service?.freeMinutes,
    paidFreeMinutes: s.service?.paidFreeMinutes,
    phone: s.service?.phone,
    address: s.service?.address,
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
}

/** A file name for Content-Disposition: ASCII fallback plus the UTF-8 name (RFC 6266 / 5987). */
function attachment(ctx: Context, name: string, inline = true): void {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  ctx.set('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
}

export function mountOpParkRoutes(router: Router, parks: ParkAdminService): void {
  const view = (p: Park) => opParkView(p, parks.effective(p));
  mount(router, ep.listParks, async ({ operator }) => ({ parks: (await parks.listParks(operator)).map(view) }));

  mount(router, ep.registerPark, async ({ body, operator, ctx }) => {
    auditFacts(ctx, ep.registerPark, { parkNumber: body.parkNumber, ...(body.name ? { name: body.name } : {}) });
    return view(await parks.registerPark(operator, body));
  });

  mount(router, ep.park, async ({ params, operator }) => view(await parks.park(operator, params.parkNumber)));

  mount(router, ep.updatePark, async ({ params, body, operator, ctx }) => {
    auditFacts(ctx, ep.updatePark, parkChangeFacts(body));
    return view(await parks.updatePark(operator, params.parkNumber, body));
  });

  mount(router, ep.lanes, async ({ params, operator }) => ({ lanes: (await parks.lanes(operator, params.parkNumber)).map(opLaneView) }));

  mount(router, ep.updateLane, async ({ params, body, operator, ctx }) => {
    auditFacts(ctx, ep.updateLane, body);
    const lane = await parks.updateLane(operator, params.parkNumber, params.passagewayId, body);
    auditFacts(ctx, ep.updateLane, { laneName: lane.name });
    return opLaneView(lane);
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
