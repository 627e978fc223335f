// Rule writable-dir-holds-code: a directory someone other than root can change never holds, at any
// depth, an executable or a shared library (whoever can rename entries can swap the code).
import type { AuditRule } from '../audit-rule.js';
import { describeMeta, isAtOrBelow, writableByNonRoot } from '../jail-view.js';
import type { JailEntry } from '../walk-jail.js';

export const writableDirHoldsCode: AuditRule = {
  id: 'writable-dir-holds-code',
  severity: 'critical',
  checks: 'a directory writable by a non-root user (or owned by one) that holds executables or libraries',
  why: 'its writer can replace the code the service (or root, at the next start) will load and run',
  fix: 'move the code to a root-owned directory of mode 0755 or tighter, and keep writable directories for data',
  check(jail) {
    const code = jail.entries.filter(isCode);
    return jail.entries
      .filter((dir) => dir.type === 'dir' && writableByNonRoot(dir))
      .flatMap((dir) => {
        const inside = code.filter((file) => file.path !== dir.path && isAtOrBelow(file.path, dir.path));
        if (inside.length === 0) return [];
        const example = (inside[0] as JailEntry).path;
        return [{ path: dir.path, found: `directory ${describeMeta(dir)} holds executables or libraries (${inside.length}), e.g. ${example}` }];
      });
  },
};

/** An executable (any x bit) or a shared library (name *.so or *.so.N). */
export function isCode(entry: JailEntry): boolean {
  if (entry.type !== 'file') return false;
  return (entry.bits & 0o111) !== 0 || /\.so(\.|$)/.test(entry.path.slice(entry.path.lastIndexOf('/') + 1));
}
