// The RTMP (and RTMPS) listener: one RtmpSession per connection, limits per connection, and a
// close() that ends every session. A misbehaving client costs its own connection only: the
// session never throws, socket errors are caught, and every wait has a timer.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { RtmpSession } from './rtmp-session.ts';
import {
  DEFAULT_RTMP_LIMITS,
  type LivePublish,
  type PublishAttempt,
  type PublishVerdict,
  type RtmpLimits,
} from './types.ts';

export interface RtmpServerOptions {
  authorize(attempt: PublishAttempt): Promise<PublishVerdict>;
  onPublish(publish: LivePublish): void;
  log: Logger;
  /** RTMPS: TLS with this certificate. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  limits?: Partial<RtmpLimits>;
}

export interface RtmpServer {
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
  /** Open connections, publishing or not. */
  connectionCount(): number;
}

/** How long a connection we ended may take to read our last status before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export function createRtmpServer(opts: RtmpServerOptions): RtmpServer {
  const limits: RtmpLimits = { ...DEFAULT_RTMP_LIMITS, ...opts.limits };
  const secure = opts.tls !== undefined;
  const sessions = new Set<RtmpSession>();
  const sockets = new Set<net.Socket>();
  const log = opts.log.child({ component: secure ? 'rtmps' : 'rtmp' });

  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    let graceTimer: NodeJS.Timeout | null = null;
    const session: RtmpSession = new RtmpSession({
      transport: {
        write: (bytes) => {
          if (!socket.destroyed) socket.write(bytes);
        },
        end: () => {
          socket.end();
          graceTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
          graceTimer.unref();
        },
        destroy: () => socket.destroy(),
        writableLength: () => socket.writableLength,
      },
      remoteAddress,
      secure,
      limits,
      authorize: opts.authorize,
      onPublish: opts.onPublish,
      log: log.child({ remote: remoteAddress }),
      onClose: () => sessions.delete(session),
    });
    sessions.add(session);
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('error', (err) => session.transportClosed(err));
    socket.on('close', () => {
      if (graceTimer) clearTimeout(graceTimer);
      session.transportClosed();
    });
  };

  let server: net.Server;
  if (opts.tls) {
    server = tls.createServer({
      cert: opts.tls.cert,
      key: opts.tls.key,
      // A client that never finishes the TLS handshake is dropped like one that stalls in RTMP's.
      handshakeTimeout: limits.handshakeTimeoutMs,
    });
    server.on('secureConnection', onSocket);
    server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'rtmps: TLS handshake failed'));
  } else {
    server = net.createServer(onSocket);
  }
  // Past the cap, Node closes new connections at once.
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => log.warn({ max: limits.maxConnections }, 'rtmp: connection refused, at the limit'));

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          server.on('error', (err) => log.error({ err }, 'rtmp: server error'));
          resolve((server.address() as net.AddressInfo).port);
        });
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of [...sessions]) session.kick('server closing');
      // Ending sessions half-closes their sockets; ones still open after the grace are destroyed.
      await new Promise((r) => setTimeout(r, sockets.size ? 50 : 0));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    connectionCount: () => sockets.size,
  };
}
