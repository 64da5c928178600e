import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a server (PostgreSQL here) that can fail the way networks and restarts
 * do: `refuse` resets every new connection (a server that is restarting), `blackhole` accepts and
 * never answers (a partition: clients wait for their timeouts), and `cutAll` drops every open
 * connection at once (what a restart does to the ones already open).
 */
export type TcpFaultMode = 'pass' | 'refuse' | 'blackhole';

export class TcpFaultProxy {
  readonly port: number;
  #mode: TcpFaultMode = 'pass';
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  /** Connections accepted since start (including refused ones). */
  accepted = 0;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(target: { host: string; port: number }): Promise<TcpFaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpFaultProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.#accept(client, target));
    return proxy;
  }

  get mode(): TcpFaultMode {
    return this.#mode;
  }

  setMode(mode: TcpFaultMode): void {
    this.#mode = mode;
    // Leaving a partition: what hung in it is dropped, as a real one's half-open sockets would be.
    if (mode !== 'blackhole') for (const s of this.#open) if (s.readableFlowing === false) s.destroy();
  }

  /** Drops every open connection; returns how many. */
  cutAll(): number {
    const n = this.#open.size;
    for (const s of this.#open) s.resetAndDestroy();
    this.#open.clear();
    return n;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: { host: string; port: number }): void {
    this.accepted++;
    client.on('error', () => {});
    if (this.#mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    this.#open.add(client);
    client.once('close', () => this.#open.delete(client));
    if (this.#mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = createConnection(target);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    this.#open.add(upstream);
    upstream.once('close', () => this.#open.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
