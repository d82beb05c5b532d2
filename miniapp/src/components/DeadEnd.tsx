/**
 * The ways on from a screen that cannot go further (a damaged code, an unknown plate, a price that ran
 * out): home, or the plate typed in to look the fee up — never only "retry".
 */
import { Button, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { PAGES, go } from '../services/routes';

export function goHome(): void {
  void Taro.reLaunch({ url: PAGES.home });
}

export function WaysOn({ park }: { /** The park to look a plate up in, when known. */ park?: string }) {
  return (
    <View className="actions ways-on">
      <Button className="btn btn-primary" onClick={() => go('prepay', park ? { park } : {})}>
        输入车牌查询
      </Button>
      <Button className="btn btn-secondary" onClick={goHome}>
        返回首页
      </Button>
    </View>
  );
}
