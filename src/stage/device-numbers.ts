// Major and minor numbers of a device from st_rdev, as glibc's gnu_dev_major/gnu_dev_minor split them.
export function deviceMajor(rdev: number): number {
  const big = BigInt(rdev);
  return Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
}

export function deviceMinor(rdev: number): number {
  const big = BigInt(rdev);
  return Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
}
