import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';

/**
 * An HTTP relay in front of the S3 peer that can fail the way object stores do: `error` answers
 * every request with S3's `500 InternalError` (after reading its body, as S3 does), `hang` accepts
 * and never answers (a store timing out). Back to `pass`, the hung requests are dropped.
 */
export type HttpFaultMode = 'pass' | 'error' | 'hang';

export class HttpFaultProxy {
  readonly port: number;
  #mode: HttpFaultMode = 'pass';
  readonly #server: Server;
  readonly #hung = new Set<ServerResponse>();
  /** Requests seen, and how many of them were failed on purpose. */
  requests = 0;
  failed = 0;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(target: { host: string; port: number }): Promise<HttpFaultProxy> {
    const server = createServer();
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new HttpFaultProxy(server, (server.address() as { port: number }).port);
    server.on('request', (req, res) => proxy.#handle(req, res, target));
    return proxy;
  }

  get mode(): HttpFaultMode {
    return this.#mode;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setMode(mode: HttpFaultMode): void {
    this.#mode = mode;
    if (mode !== 'hang') {
      for (const res of this.#hung) res.destroy();
      this.#hung.clear();
    }
  }

  async close(): Promise<void> {
    this.setMode('pass');
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse, target: { host: string; port: number }): void {
    this.requests++;
    req.on('error', () => {});
    res.on('error', () => {});
    if (this.#mode === 'error') {
      this.failed++;
      req.resume();
      req.once('end', () => {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>' +
            '<Message>We encountered an internal error. Please try again.</Message></Error>',
        );
      });
      return;
    }
    if (this.#mode === 'hang') {
      this.failed++;
      req.resume();
      this.#hung.add(res);
      res.once('close', () => this.#hung.delete(res));
      return;
    }
    const upstream = request(
      { host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}
