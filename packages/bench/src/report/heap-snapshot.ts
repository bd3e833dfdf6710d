import { readFileSync } from 'node:fs';

/** The parts of a V8 .heapsnapshot the summary reads. */
interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  /** "constructor name" for objects, the node type for the rest (closure, code, string...). */
  name: string;
  count: number;
  selfBytes: number;
}

/**
 * Self size and count per constructor in a heap snapshot, largest first. With N idle connections open,
 * the groups whose count is a multiple of N are the per-connection cost, and their self size over N is
 * what each connection holds in the JS heap.
 */
export function summarizeHeap(file: string, top = 30): { groups: HeapGroup[]; totalBytes: number } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  let totalBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const size = snap.nodes[i + sizeAt]!;
    totalBytes += size;
    const name = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + nameAt]!]! : `(${type})`;
    const g = groups.get(name) ?? { name, count: 0, selfBytes: 0 };
    g.count++;
    g.selfBytes += size;
    groups.set(name, g);
  }
  return { groups: [...groups.values()].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, top), totalBytes };
}
