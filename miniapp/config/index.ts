import path from 'node:path';
import { defineConfig } from '@tarojs/cli';
import TsconfigPathsPlugin from 'tsconfig-paths-webpack-plugin';
import { PrecompressPlugin } from './precompress';

// Code outside the app folder (the repo's shared/) must be compiled by Taro's babel too.
const SHARED_DIR = path.resolve(__dirname, '..', '..', 'shared');

export default defineConfig<'webpack5'>(() => ({
  projectName: 'parkpay',
  date: '2026-11-28',
  designWidth: 750,
  deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
  sourceRoot: 'src',
  outputRoot: `dist/${process.env.TARO_ENV}`,
  plugins: [],
  // The API's absolute https base for weapp/alipay builds (H5 uses same-origin URLs). Set PARKPAY_API_BASE
  // at build time; the mini-program's request domain whitelist must list it.
  defineConstants: { API_BASE: JSON.stringify(process.env.PARKPAY_API_BASE ?? 'https://parkpay.example.com') },
  alias: { '@shared': SHARED_DIR },
  copy: { patterns: [], options: {} },
  framework: 'react',
  compiler: { type: 'webpack5', prebundle: { enable: false } },
  cache: { enable: false },
  mini: {
    compile: { include: [SHARED_DIR] },
    postcss: { pxtransform: { enable: true, config: {} }, cssModules: { enable: false } },
    webpackChain(chain) {
      chain.resolve.plugin('tsconfig-paths').use(TsconfigPathsPlugin);
    },
  },
  h5: {
    publicPath: '/',
    staticDirectory: 'static',
    compile: { include: [SHARED_DIR] },
    router: { mode: 'hash' },
    output: { filename: 'js/[name].[hash:8].js', chunkFilename: 'js/[name].[chunkhash:8].js' },
    // Hashed like the scripts: the server lets browsers keep hashed files for good.
    miniCssExtractPluginOption: { filename: 'css/[name].[contenthash:8].css', chunkFilename: 'css/[name].[contenthash:8].css' },
    postcss: { autoprefixer: { enable: true, config: {} }, cssModules: { enable: false } },
    webpackChain(chain) {
      chain.resolve.plugin('tsconfig-paths').use(TsconfigPathsPlugin);
      // Pages are lazy chunks; Taro's 'initial' splitting would copy zod and the contracts into each one.
      chain.optimization.merge({ splitChunks: { chunks: 'all' } });
      // .br and .gz copies of the text assets, for the server to send as they are.
      chain.plugin('precompress').use(PrecompressPlugin);
    },
  },
}));
