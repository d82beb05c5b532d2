/**
 * Where a car is parked (4.34): the layer and space in large type, a sketch of the layer with the spot
 * when the lot gives its position on the layer's map (0–1 across and down), and the lot's photo of the
 * space when it has a real one (a picture that fails, or a few pixels' placeholder, is said as missing).
 */
import { Image, Text, View } from '@tarojs/components';
import { useState } from 'react';
import type { SpaceView } from '@shared/api/parks';

/** What find-car answers for one park (GET /api/parks/:parkNumber/find-car, and each park of /api/me/find-car). */
export interface FindCarAnswer {
  proved: boolean;
  here: boolean;
  spaces: SpaceView[];
}
import { pictureUrl } from '../../services/platform';

const onMap = (v: number | null): v is number => v !== null && v >= 0 && v <= 1;

function Photo({ src }: { src: string }) {
  const [state, setState] = useState<'loading' | 'ok' | 'none'>('loading');
  if (state === 'none') return <Text className="muted">车场未提供这个车位的照片</Text>;
  return (
    <Image
      className="space-photo"
      style={state === 'loading' ? { height: 0 } : undefined}
      src={pictureUrl(src)}
      mode="aspectFit"
      onLoad={(e) => setState(Number(e.detail.width) >= 64 && Number(e.detail.height) >= 64 ? 'ok' : 'none')}
      onError={() => setState('none')}
    />
  );
}

export function CarSpaces({ spaces }: { spaces: SpaceView[] }) {
  return (
    <>
      {spaces.map((s) => (
        <View key={`${s.layerName}-${s.spaceId}-${s.plate}`} className="space">
          <Text className="space-title section-title">
            {s.plate} · {s.layerName} {s.spaceId} 号车位
          </Text>
          {onMap(s.x) && onMap(s.y) ? (
            <View className="layer-map">
              <Text className="layer-map-name">{s.layerName}</Text>
              <View className="layer-map-pin" style={{ left: `${s.x * 100}%`, top: `${s.y * 100}%` }} />
            </View>
          ) : null}
          {s.imageUrl ? <Photo src={s.imageUrl} /> : null}
        </View>
      ))}
    </>
  );
}

/**
 * One park's answer: its place for a plate the driver has proved there; for any other only whether it is
 * here, and how to prove it (pay there, or confirm the entry in my parking).
 */
export function CarFound({ plate, found }: { plate: string; found: FindCarAnswer }) {
  if (!found.here) return <Text className="muted">停车场内没有 {plate}</Text>;
  if (!found.proved) return <Text className="muted">{plate} 在停车场内。在此车场缴过费、或在“我的停车”中确认入场信息后，可查看车位。</Text>;
  if (found.spaces.length === 0) return <Text className="muted">没有找到 {plate} 的车位信息</Text>;
  return <CarSpaces spaces={found.spaces} />;
}
