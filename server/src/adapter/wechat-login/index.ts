/** WeChat mini-program login (code2Session). */
export * from './client';
export * from './errors';
