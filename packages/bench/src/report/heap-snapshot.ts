import { readFileSync } from 'node:fs';

/** The parts of a V8 .heapsnapshot the summaries read. */
interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapGroup {
  /** "constructor name" for objects, the node type for the rest (closure, code, string...). */
  name: string;
  count: number;
  selfBytes: number;
}

/**
 * The nodes of a heap snapshot in groups: objects by constructor, closures by function name, and what
 * has no name of its own (arrays, property stores, contexts, strings) or a name too common to tell
 * whose it is (`Object`, `Array`) by what first retains it, e.g. `Array <- Object.end` for a socket's
 * second 'end' listener, so a per-connection row says whose it is.
 */
export function groupHeap(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const meta = snap.snapshot.meta;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const typeAt = meta.node_fields.indexOf('type');
  const nameAt = meta.node_fields.indexOf('name');
  const sizeAt = meta.node_fields.indexOf('self_size');
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const edgeTypeAt = meta.edge_fields.indexOf('type');
  const edgeNameAt = meta.edge_fields.indexOf('name_or_index');
  const edgeToAt = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / nodeWidth;

  // The first strong retainer of every node, and the name of the edge it is held by.
  const holder = new Int32Array(count).fill(-1);
  const heldAs: string[] = new Array<string>(count);
  let edge = 0;
  for (let node = 0; node < count; node++) {
    const edgeCount = nodes[node * nodeWidth + edgeCountAt]!;
    for (let k = 0; k < edgeCount; k++, edge += edgeWidth) {
      const type = edgeTypes[edges[edge + edgeTypeAt]!];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[edge + edgeToAt]! / nodeWidth;
      if (holder[to] !== -1) continue;
      holder[to] = node;
      const name = edges[edge + edgeNameAt]!;
      heldAs[to] = type === 'element' || type === 'hidden' ? `[${type}]` : String(strings[name] ?? name);
    }
  }
  const typeOf = (node: number): string => nodeTypes[nodes[node * nodeWidth + typeAt]!] ?? '?';
  const nameOf = (node: number): string => strings[nodes[node * nodeWidth + nameAt]!] ?? '';
  const labelOf = (node: number): string => {
    const type = typeOf(node);
    return type === 'object' || type === 'native' ? nameOf(node) : `(${type})`;
  };
  const via = (node: number): string => {
    const by = holder[node]!;
    return by < 0 ? ' <- ?' : ` <- ${labelOf(by)}.${heldAs[node]}`;
  };

  const groups = new Map<string, HeapGroup>();
  for (let node = 0; node < count; node++) {
    const type = typeOf(node);
    const name = nameOf(node);
    let key: string;
    if (type === 'object' || type === 'native') {
      key = name === 'Object' || name === 'Array' || name.startsWith('system /') ? `${name}${via(node)}` : name;
    } else if (type === 'closure') {
      key = `(closure ${name || 'anonymous'})${via(node)}`;
    } else if (type.includes('string')) {
      key = `(${type})${via(node)}`;
    } else {
      key = `(${type}${name ? ` ${name.slice(0, 40)}` : ''})${via(node)}`;
    }
    const group = groups.get(key) ?? { name: key, count: 0, selfBytes: 0 };
    group.count++;
    group.selfBytes += nodes[node * nodeWidth + sizeAt]!;
    groups.set(key, group);
  }
  return groups;
}

/**
 * What the heap grew by per connection between two snapshots of one process, `connections` apart:
 * each group's count and bytes over that number, largest first, and the total. The process's fixed
 * cost (code, modules, the server itself) is in both snapshots and drops out.
 */
export function growthPerConnection(
  before: Map<string, HeapGroup>,
  after: Map<string, HeapGroup>,
  connections: number,
): { groups: HeapGroup[]; totalBytes: number } {
  const groups: HeapGroup[] = [];
  let totalBytes = 0;
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(name) ?? { count: 0, selfBytes: 0 };
    const b = after.get(name) ?? { count: 0, selfBytes: 0 };
    const group = { name, count: (b.count - a.count) / connections, selfBytes: (b.selfBytes - a.selfBytes) / connections };
    totalBytes += group.selfBytes;
    groups.push(group);
  }
  return { groups: groups.sort((x, y) => y.selfBytes - x.selfBytes), totalBytes };
}
