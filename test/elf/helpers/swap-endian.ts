// Rewrites a little-endian ELF file as big-endian: the header, the program headers and the dynamic
// section's entries are byte-swapped (strings need no change). Sections are left as they are.
export function toBigEndian(le: Buffer): Buffer {
  const be = Buffer.from(le);
  const is64 = le[4] === 2;
  be[5] = 2;
  const swap = (at: number, size: 2 | 4 | 8) => {
    if (size === 2) be.writeUInt16BE(le.readUInt16LE(at), at);
    else if (size === 4) be.writeUInt32BE(le.readUInt32LE(at), at);
    else be.writeBigUInt64BE(le.readBigUInt64LE(at), at);
  };
  const header: Array<[number, 2 | 4 | 8]> = is64
    ? [[16, 2], [18, 2], [20, 4], [24, 8], [32, 8], [40, 8], [48, 4], [52, 2], [54, 2], [56, 2], [58, 2], [60, 2], [62, 2]]
    : [[16, 2], [18, 2], [20, 4], [24, 4], [28, 4], [32, 4], [36, 4], [40, 2], [42, 2], [44, 2], [46, 2], [48, 2], [50, 2]];
  for (const [at, size] of header) swap(at, size);
  const phoff = is64 ? Number(le.readBigUInt64LE(32)) : le.readUInt32LE(28);
  const phentsize = le.readUInt16LE(is64 ? 54 : 42);
  const phnum = le.readUInt16LE(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const fields: Array<[number, 2 | 4 | 8]> = is64
      ? [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 8], [48, 8]]
      : [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4]];
    for (const [offset, size] of fields) swap(at + offset, size);
    if (le.readUInt32LE(at) !== 2) continue;
    const dynOffset = is64 ? Number(le.readBigUInt64LE(at + 8)) : le.readUInt32LE(at + 4);
    const dynSize = is64 ? Number(le.readBigUInt64LE(at + 32)) : le.readUInt32LE(at + 16);
    for (let d = dynOffset; d + (is64 ? 16 : 8) <= dynOffset + dynSize; d += is64 ? 16 : 8) {
      swap(d, is64 ? 8 : 4);
      swap(d + (is64 ? 8 : 4), is64 ? 8 : 4);
    }
  }
  return be;
}
