// The shape of one finding of `mkjail verify`, and its one-line text form.
import * as z from '../zod.js';

/** Every kind of drift, in the order findings of one path are listed. */
export const DRIFT_KINDS = ['missing', 'extra', 'type', 'content', 'mode', 'owner', 'links', 'target', 'device', 'load'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** One difference between the manifest and the tree (or an ELF that can't load inside the jail). */
export const driftSchema = z.strictObject({
  kind: z.enum(DRIFT_KINDS),
  /** Absolute path inside the jail. */
  path: z.string(),
  /** What the manifest says, and what the tree has: "0444" and "0644", "file" and "nothing". */
  expected: z.string(),
  found: z.string(),
});
export type Drift = z.infer<typeof driftSchema>;

/** `mode    /etc/passwd: expected 0444, found 0644`; control characters in paths are escaped. */
export function formatDrift(drift: Drift): string {
  return `${drift.kind.padEnd(8)}${printable(drift.path)}: expected ${printable(drift.expected)}, found ${printable(drift.found)}`;
}

/** Text with control characters shown as JSON escapes, so one finding stays on one line. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
