/** Byte units the knobs and the table are written in. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** "512 B", "16 KiB", "64.0 MiB": compact and unambiguous about powers of two. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  if (abs >= GiB) return `${sign}${(abs / GiB).toFixed(2)} GiB`;
  if (abs >= MiB) return `${sign}${(abs / MiB).toFixed(1)} MiB`;
  if (abs >= KiB) return `${sign}${(abs / KiB).toFixed(1)} KiB`;
  return `${sign}${abs} B`;
}

/** Thousands grouped, so counts from 1 to 10,000,000 stay readable in one column. */
export function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

/** Milliseconds as "850 ms" or "2.3 s". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
