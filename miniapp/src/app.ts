import { useDidShow, useLaunch } from '@tarojs/taro';
import type { PropsWithChildren } from 'react';
import { onAppLaunch, onAppShow } from './services/launch';
import './firstScreen';
import './app.css';

/** The App: hands its launch and show options (Alipay's scanned qrCode) to services/launch.ts. */
function App({ children }: PropsWithChildren) {
  useLaunch((options) => onAppLaunch(options as { query?: Record<string, unknown> }));
  useDidShow((options) => onAppShow(options as { query?: Record<string, unknown> } | undefined));
  return children;
}

export default App;
