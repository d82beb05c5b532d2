/**
 * core/operators/lot-ops.ts's OperatorLotGateway over the Bluecard client: 4.22 RemoteLiftRod, 4.33
 * getAllSpaceStatus, 4.34 getSpaceStatusByPlate, 4.20 queryImgByName. Its failures are the client's
 * BluecardErrors (GatewayFailures); core/operators/lot-ops.ts says what each means to an operator.
 */
import type { OperatorLotGateway } from '../../core/operators/lot-ops';
import type { Park } from '../../core/parks';
import type { BluecardClient } from './client';

function coord(s: string | undefined): number | null {
  const n = Number.parseFloat(s ?? '');
  return Number.isFinite(n) ? n : null;
}

export class BluecardOperatorLot implements OperatorLotGateway {
  constructor(private readonly client: BluecardClient) {}

  async liftBarrier(park: Park, passagewayId: string): Promise<void> {
    await this.client.remoteLiftRod(park, passagewayId);
  }

  async allSpaces(park: Park) {
    const spaces = await this.client.getAllSpaceStatus(park);
    return spaces.map((s) => ({
      layerId: s.layerId,
      layerName: s.layerName,
      spaceId: s.spaceId,
      occupied: s.rateState === 1,
      plate: s.plate ?? '',
      carType: s.carType,
    }));
  }

  async findCars(park: Park, plate: string) {
    const found = await this.client.getSpaceStatusByPlate(park, plate);
    return found.map((s) => ({
      layerId: s.layerId,
      layerName: s.layerName,
      spaceId: s.spaceId,
      plate: s.plate ?? '',
      carType: s.carType,
      imageUrl: s.imgPath || null,
      x: coord(s.space_x),
      y: coord(s.space_y),
    }));
  }

  async imageUrls(park: Park, names: string[]): Promise<Map<string, string>> {
    const r = await this.client.queryImgByName(park, names);
    return new Map((r.imageList ?? []).filter((i) => i.imageURL).map((i) => [i.imageName, i.imageURL]));
  }
}
