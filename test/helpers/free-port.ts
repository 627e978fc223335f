// Free TCP ports of 127.0.0.1 for services a test starts, picked at run time from a high range (tests
// run two files at a time, and other work may hold ports): start at an offset from the pid, step by 7.
import { createServer } from 'node:net';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port of 127.0.0.1 in 18000-18999 that is free now, other than those in `not`. */
export async function freeTcpPort(not: number[] = []): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = 18000 + ((process.pid + i * 7) % 1000);
    if (!not.includes(port) && (await tcpFree(port))) return port;
  }
  throw new Error('no free TCP port in 18000-18999 on 127.0.0.1');
}
