// Draws a closure as a tree (like lddtree): each input, its interpreter, then each DT_NEEDED entry
// with the path it resolved to and how; a library's own needs are drawn under its first appearance.
import type { Closure, NeededEdge } from './types.js';

const INDENT = '    ';
/** Edges from the root's /etc/ld.so.preload have this as their `by`. */
const PRELOAD_PATH = '/etc/ld.so.preload';

/** The tree of every input of `closure`, as text ending in a newline. */
export function renderTree(closure: Closure): string {
  const byRequester = new Map<string, NeededEdge[]>();
  for (const edge of closure.edges) {
    const list = byRequester.get(edge.by);
    if (list) list.push(edge);
    else byRequester.set(edge.by, [edge]);
  }
  const interpreters = new Set(closure.objects.filter((o) => o.kind === 'interpreter').map((o) => o.path));
  const lines: string[] = [];
  const expanded = new Set<string>();
  for (const input of closure.objects.filter((o) => o.kind === 'input')) {
    lines.push(input.path);
    expanded.add(input.path);
    if (input.interpreter !== undefined) {
      const missing = closure.missing.some((m) => m.neededBy === input.path && m.soname === input.interpreter);
      lines.push(`${INDENT}interpreter ${input.interpreter}${missing ? ' => not found' : ''}`);
    }
    drawNeeds(PRELOAD_PATH, 1, 'preload ');
    drawNeeds(input.path, 1);
  }
  return `${lines.join('\n')}\n`;

  function drawNeeds(by: string, depth: number, label = ''): void {
    for (const edge of byRequester.get(by) ?? []) {
      const pad = `${INDENT.repeat(depth)}${label}`;
      const noted = edge.dlopen ? `dlopen ${edge.dlopen.priority}${edge.dlopen.feature ? ` '${edge.dlopen.feature}'` : ''}` : '';
      if (edge.path === undefined) {
        const optional = edge.dlopen && edge.dlopen.priority !== 'required' ? ', optional' : '';
        lines.push(`${pad}${edge.soname} => not found${noted ? ` (${noted}${optional})` : ''}`);
        continue;
      }
      const how = `${interpreters.has(edge.path) && edge.via === 'slash' ? 'interpreter' : edge.via}${noted ? `, ${noted}` : ''}`;
      const seen = expanded.has(edge.path);
      lines.push(`${pad}${edge.soname} => ${edge.path} (${how}${seen && byRequester.has(edge.path) ? ', needs shown above' : ''})`);
      if (seen) continue;
      expanded.add(edge.path);
      drawNeeds(edge.path, depth + 1);
    }
  }
}
