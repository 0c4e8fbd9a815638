// Node-only helpers: where the built core and the committed kernel live.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../..');
export const CORE_WASM_PATH = resolve(REPO_ROOT, 'emulator/build/core.wasm');
export const DEFAULT_KERNEL_PATH = resolve(REPO_ROOT, 'kernel-image/dist/sis-kernel.img');

let compiled: Promise<WebAssembly.Module> | null = null;

/** The compiled core (compiled once per process). */
export function loadCoreModule(): Promise<WebAssembly.Module> {
  if (!existsSync(CORE_WASM_PATH)) {
    return Promise.reject(new Error(`${CORE_WASM_PATH} is missing: run \`npm run build:wasm\` first`));
  }
  compiled ??= WebAssembly.compile(readFileSync(CORE_WASM_PATH));
  return compiled;
}

export function haveCore(): boolean {
  return existsSync(CORE_WASM_PATH);
}

export function haveKernel(): boolean {
  return existsSync(DEFAULT_KERNEL_PATH);
}
