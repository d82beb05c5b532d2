/** Taro storage, never throwing (a full or unavailable storage must not break a payment). */
import Taro from '@tarojs/taro';

export function load<T>(key: string): T | undefined {
  try {
    const v = Taro.getStorageSync(key) as unknown;
    return v === '' || v === null || v === undefined ? undefined : (v as T);
  } catch {
    return undefined;
  }
}

export function save(key: string, value: unknown): void {
  try {
    Taro.setStorageSync(key, value);
  } catch {
    // best effort
  }
}

export function remove(key: string): void {
  try {
    Taro.removeStorageSync(key);
  } catch {
    // best effort
  }
}
