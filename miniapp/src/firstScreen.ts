/**
 * What the first screen needs loaded with the app itself. Mini-programs: nothing here (their main package
 * holds the lane page already). The H5 build takes firstScreen.h5.ts instead (Taro's per-platform files).
 */
export {};
