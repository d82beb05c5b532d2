/** A picture from the lot (entry photo, space photo): relative API links resolved; a missing one says so. */
import { Image, Text } from '@tarojs/components';
import { useState } from 'react';
import { pictureUrl } from '../services/platform';

export function Picture({ src, className, missing = '照片暂未上传' }: { src: string; className: string; missing?: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) return <Text className="muted">{missing}</Text>;
  return <Image className={className} src={pictureUrl(src)} mode="aspectFit" onError={() => setFailed(true)} />;
}
