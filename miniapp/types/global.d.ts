/// <reference types="@tarojs/taro" />
declare module '*.png';
declare module '*.css';
declare namespace NodeJS {
  interface ProcessEnv {
    TARO_ENV: 'weapp' | 'alipay' | 'h5' | 'swan' | 'tt' | 'qq' | 'jd';
  }
}

/** Build-time constant (config/index.ts): the API's absolute https base for weapp/alipay builds. */
declare const API_BASE: string | undefined;

/** Alipay's native API object (only in the Alipay mini-program). */
declare const my:
  | {
      getAuthCode(o: {
        scopes: string | string[];
        success?: (r: { authCode?: string }) => void;
        fail?: (e: { error?: number; errorMessage?: string }) => void;
      }): void;
      tradePay(o: {
        tradeNO: string;
        success?: (r: { resultCode?: string; memo?: string }) => void;
        fail?: (e: { resultCode?: string; error?: number; errorMessage?: string }) => void;
      }): void;
      /** 小程序订阅消息: up to 3 template ids. */
      requestSubscribeMessage?(o: {
        entityIds: string[];
        success?: (r: { behavior?: string; result?: { subscribeEntityIds?: string[]; unsubscribedEntityIds?: string[] }; subscribeEntityIds?: string[] }) => void;
        fail?: (e: { error?: number; errorMessage?: string }) => void;
      }): void;
    }
  | undefined;
