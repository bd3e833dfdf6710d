// Types of generate-kernel.mjs for the tests that import it.

/** The binary module assembled from src/simd/kernel.wat. */
export function assembleKernel(): Promise<Uint8Array>;
/** The text src/simd/kernel-module.ts must have for the current kernel.wat. */
export function renderKernelModule(): Promise<string>;
/** The path of src/simd/kernel-module.ts. */
export const KERNEL_MODULE_PATH: string;
