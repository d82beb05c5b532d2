/** Core's Driver → what the app API shows (shared/api/me.ts). Provider ids only masked. */
import type { DriverView, PlateView } from '../../../../shared/api/me';
import type { BoundPlate, Driver } from '../../core/identity/model';

/** "oAbcdefghijklmnopqrstuvwxyz" → "oAbc…wxyz": enough to recognise, not enough to use. */
export function maskId(id: string): string {
  if (id.length >= 12) return `${id.slice(0, 4)}…${id.slice(-4)}`;
  return `${id.slice(0, 2)}…`;
}

export function plateView(p: BoundPlate): PlateView {
  return { plate: p.plate, plateKey: p.plateKey, boundAt: p.boundAt.toISOString() };
}

export function driverView(d: Driver): DriverView {
  const alipayId = d.alipayUserId ?? d.alipayOpenId;
  return {
    id: d.id,
    createdAt: d.createdAt.toISOString(),
    providers: {
      wechat: d.wechatOpenId ? { maskedId: maskId(d.wechatOpenId) } : null,
      alipay: alipayId ? { maskedId: maskId(alipayId) } : null,
    },
    plates: d.plates.map(plateView),
  };
}
