// The registry of audit rules, one per RULE_IDS entry, in the order of RULE_IDS.
import type { AuditRule } from '../audit-rule.js';
import { RULE_IDS } from '../rule-ids.js';
import { artifactWritable } from './artifact-writable.js';
import { dangerousBinary } from './dangerous-binary.js';
import { devDirMode } from './dev-dir-mode.js';
import { deviceNode } from './device-node.js';
import { drift } from './drift.js';
import { fileCapability } from './file-capability.js';
import { groupWritable } from './group-writable.js';
import { hardLinkOutside } from './hard-link-outside.js';
import { mountPoint } from './mount-point.js';
import { ownerNotRoot } from './owner-not-root.js';
import { passwdRootAlias } from './passwd-root-alias.js';
import { passwordHash } from './password-hash.js';
import { rootRunScript } from './root-run-script.js';
import { setuidSetgid } from './setuid-setgid.js';
import { shadowFile } from './shadow-file.js';
import { sharedServiceUser } from './shared-service-user.js';
import { socketOrFifo } from './socket-or-fifo.js';
import { untrustedSymlink } from './untrusted-symlink.js';
import { worldWritable } from './world-writable.js';
import { writableDirHoldsCode } from './writable-dir-holds-code.js';
import { writableParent } from './writable-parent.js';

const RULES: readonly AuditRule[] = [
  ownerNotRoot,
  groupWritable,
  worldWritable,
  writableDirHoldsCode,
  setuidSetgid,
  fileCapability,
  deviceNode,
  devDirMode,
  socketOrFifo,
  hardLinkOutside,
  dangerousBinary,
  rootRunScript,
  untrustedSymlink,
  mountPoint,
  passwdRootAlias,
  passwordHash,
  shadowFile,
  writableParent,
  artifactWritable,
  drift,
  sharedServiceUser,
];

/** Every rule, in RULE_IDS order. */
export const AUDIT_RULES: readonly AuditRule[] = RULE_IDS.map((id) => {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`audit rule ${id} is not registered`);
  return rule;
});
