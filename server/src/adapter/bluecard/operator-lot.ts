/**
 * core/operators/lot-ops.ts's OperatorLotGateway over the Bluecard client: 4.22 RemoteLiftRod, 4.33
 * getAllSpaceStatus, 4.34 getSpaceStatusByPlate, 4.20 queryImgByName. Bluecard's failures become answers an
 * operator can act on:
 *  - lot_refused: the lot answered fail (its reason in the message and, as it said it, in details.lotSays);
 *  - lot_unreachable: no answer — for a lift, the barrier MAY have opened (the message says so; details.outcomeUnknown);
 *  - lot_bad_answer: an answer we cannot read.
 */
import { OperatorError } from '../../core/operators/errors';
import type { OperatorLotGateway } from '../../core/operators/lot-ops';
import type { Park } from '../../core/parks';
import type { BluecardClient } from './client';
import { BluecardError } from './errors';

function coord(s: string | undefined): number | null {
  const n = Number.parseFloat(s ?? '');
  return Number.isFinite(n) ? n : null;
}

export function operatorLotError(e: unknown, what: string, unknownOutcome?: string): never {
  if (!(e instanceof BluecardError)) throw e;
  switch (e.kind) {
    case 'rejected':
      throw new OperatorError('lot_refused', `the lot refused ${what}: ${e.errorCode || e.detail}`, { lotSays: e.errorCode || e.detail });
    case 'timeout':
    case 'network':
    case 'http':
      throw new OperatorError('lot_unreachable', `the lot did not answer ${what} (${e.kind})${unknownOutcome ? `: ${unknownOutcome}` : ''}`, unknownOutcome ? { outcomeUnknown: true } : undefined);
    case 'bad_answer':
      throw new OperatorError('lot_bad_answer', `the lot's answer to ${what} could not be read${unknownOutcome ? `: ${unknownOutcome}` : ''}`, unknownOutcome ? { outcomeUnknown: true } : undefined);
    case 'invalid_request':
      throw new OperatorError('validation_failed', `cannot ask the lot ${what}: ${e.detail}`);
  }
}

export class BluecardOperatorLot implements OperatorLotGateway {
  constructor(private readonly client: BluecardClient) {}

  async liftBarrier(park: Park, passagewayId: string): Promise<void> {
    await this.client
      .remoteLiftRod(park, passagewayId)
      .catch((e: unknown) => operatorLotError(e, `to lift the barrier of lane ${passagewayId}`, 'the barrier may or may not have opened — look before lifting again'));
  }

  async allSpaces(park: Park) {
    const spaces = await this.client.getAllSpaceStatus(park).catch((e: unknown) => operatorLotError(e, 'for the space status'));
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
    const found = await this.client.getSpaceStatusByPlate(park, plate).catch((e: unknown) => operatorLotError(e, 'where the car is'));
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
    const r = await this.client.queryImgByName(park, names).catch((e: unknown) => operatorLotError(e, 'for the pictures'));
    return new Map((r.imageList ?? []).filter((i) => i.imageURL).map((i) => [i.imageName, i.imageURL]));
  }
}
