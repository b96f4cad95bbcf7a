/** Test helper: a Unix socket listening at `path` (a special file a hostile tree may hold); resolves to its closer. */
import { createServer } from 'node:net';

export async function listenSocket(path: string): Promise<() => Promise<void>> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
