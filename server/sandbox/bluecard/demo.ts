/**
 * The demo park: what demo mode starts when there is no real Bluecard. Two areas (above ground, basement),
 * four lanes (east and west gates, in and out), a few guidance spaces on two layers.
 */
import type { ParkDefinition } from './definitions';

export const DEMO_PARK_NUMBER = 'p_demo_001';
/** Not a secret: it signs the demo park's traffic with the sandbox only. */
export const DEMO_PARK_KEY = 'demo-key-not-secret-001';

export function demoParks(): ParkDefinition[] {
  return [
    {
      parkNumber: DEMO_PARK_NUMBER,
      key: DEMO_PARK_KEY,
      name: '示例停车场',
      areas: [
        { id: 1, name: '地面停车场', spaces: 120, bookable: 10 },
        { id: 2, name: '地下停车场', spaces: 80, bookable: 5 },
      ],
      lanes: [
        { passagewayId: '1', name: '东门入口', direction: 'in', sourceAreaId: '0', targetAreaId: '1' },
        { passagewayId: '2', name: '东门出口', direction: 'out', sourceAreaId: '1', targetAreaId: '0' },
        { passagewayId: '3', name: '西门入口', direction: 'in', sourceAreaId: '0', targetAreaId: '2' },
        { passagewayId: '4', name: '西门出口', direction: 'out', sourceAreaId: '2', targetAreaId: '0' },
      ],
      spaces: [
        { spaceId: 'A001', areaId: 1, layerId: '001', layerName: '地面一层', x: 0.078, y: 0.158 },
        { spaceId: 'A002', areaId: 1, layerId: '001', layerName: '地面一层', x: 0.156, y: 0.158 },
        { spaceId: 'A003', areaId: 1, layerId: '001', layerName: '地面一层', x: 0.234, y: 0.158 },
        { spaceId: 'A004', areaId: 1, layerId: '001', layerName: '地面一层', x: 0.312, y: 0.158 },
        { spaceId: 'B001', areaId: 2, layerId: '002', layerName: '地下一层', x: 0.1, y: 0.6 },
        { spaceId: 'B002', areaId: 2, layerId: '002', layerName: '地下一层', x: 0.2, y: 0.6 },
        { spaceId: 'B003', areaId: 2, layerId: '002', layerName: '地下一层', x: 0.3, y: 0.6 },
      ],
      tariff: { freeMinutes: 15, perHourFen: 200, dailyCapFen: 2000, paidFreeMinutes: 15 },
    },
  ];
}
