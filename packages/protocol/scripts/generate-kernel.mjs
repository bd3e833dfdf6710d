// Assembles src/simd/kernel.wat with wabt (a devDependency, never shipped) and writes the bytes into
// src/simd/kernel-module.ts, the file the codec imports. Run after editing the .wat:
//
//   pnpm --filter @wsts/protocol generate-kernel          rewrite kernel-module.ts
//   node scripts/generate-kernel.mjs --check              exit 1 when kernel-module.ts is out of date
//
// test/wasm-kernel.test.ts calls renderKernelModule() and compares, so the two never drift apart.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const WAT = fileURLToPath(new URL('../src/simd/kernel.wat', import.meta.url));
const OUT = fileURLToPath(new URL('../src/simd/kernel-module.ts', import.meta.url));
/** Hex digits per line of the generated string array (keeps lines inside the formatter's width). */
const HEX_PER_LINE = 112;

/** The binary module assembled from kernel.wat: SIMD on, no name section, so the bytes are minimal. */
export async function assembleKernel() {
  const wabt = await initWabt();
  const module = wabt.parseWat('kernel.wat', readFileSync(WAT, 'utf8'), { simd: true });
  try {
    module.resolveNames();
    module.validate();
    return Uint8Array.from(module.toBinary({ write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

/** The text of kernel-module.ts for the current kernel.wat. */
export async function renderKernelModule() {
  const bytes = await assembleKernel();
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const lines = [];
  for (let i = 0; i < hex.length; i += HEX_PER_LINE) lines.push(`  '${hex.slice(i, i + HEX_PER_LINE)}',`);
  return `// Generated from kernel.wat by scripts/generate-kernel.mjs: do not edit (test/wasm-kernel.test.ts checks it).

/** The WebAssembly module assembled from kernel.wat, ${bytes.length} bytes, as hex. */
export const KERNEL_HEX = [
${lines.join('\n')}
].join('');
`;
}

/** Where the generated module lives. */
export const KERNEL_MODULE_PATH = OUT;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await renderKernelModule();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      console.error('src/simd/kernel-module.ts does not match src/simd/kernel.wat: run pnpm --filter @wsts/protocol generate-kernel');
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT}`);
  }
}
