/**
 * The park a driver's page is for: the `park` parameter (a lane code, a link), else the last park used. With
 * none the driver chooses one in the park list, which comes back to `next`. A park that loads is remembered
 * as the last one. `gate` is what the page shows until the park is there (choosing, loading, or the error
 * with a retry and the other ways on); once it is undefined, `park` is set.
 */
import { View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, type ReactElement } from 'react';
import { parkEndpoints, type ParkView } from '@shared/api/parks';
import { WaysOn } from '../components/DeadEnd';
import { ErrorState, Loading } from '../components/ui';
import { call } from '../services/api';
import { lastPark, rememberPark } from '../services/memory';
import { pageUrl, param, type PageName } from '../services/routes';
import { useLoader } from './useLoader';

export interface ChosenPark {
  parkNumber: string | undefined;
  park: ParkView | undefined;
  gate: ReactElement | undefined;
}

export function useChosenPark(next: PageName): ChosenPark {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? lastPark();
  const park = useLoader(async () => (parkNumber ? call(parkEndpoints.park, { params: { parkNumber } }) : undefined), [parkNumber]);
  useEffect(() => {
    if (!parkNumber) void Taro.redirectTo({ url: pageUrl('parks', { next }) });
  }, [parkNumber, next]);
  const known = park.state === 'ok' ? park.data?.parkNumber : undefined;
  useEffect(() => {
    if (known) rememberPark(known);
  }, [known]);
  if (!parkNumber) return { parkNumber, park: undefined, gate: <Loading text="请选择停车场…" /> };
  if (park.state === 'loading') return { parkNumber, park: undefined, gate: <Loading /> };
  if (park.state === 'error') {
    return {
      parkNumber,
      park: undefined,
      gate: (
        <View className="page">
          <ErrorState error={park.error} onRetry={park.reload} actions={<WaysOn />} />
        </View>
      ),
    };
  }
  return { parkNumber, park: park.data, gate: undefined };
}
