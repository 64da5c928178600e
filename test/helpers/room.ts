import { type IncomingMessage, request } from 'node:http';

/** A room event as the stream sent it. */
export interface RoomEvent {
  event: string;
  data: unknown;
  at: number;
}

/** One viewer's event stream on a connection of its own (the kernel picks the process). */
export class RoomStream {
  readonly events: RoomEvent[] = [];
  #res: IncomingMessage | null = null;
  #rest = '';

  static async open(url: string, localAddress?: string): Promise<RoomStream> {
    const stream = new RoomStream();
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        stream.#res = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => stream.#parse(chunk));
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    return stream;
  }

  #parse(chunk: string): void {
    const text = this.#rest + chunk;
    const blocks = text.split('\n\n');
    this.#rest = blocks.pop() ?? '';
    for (const block of blocks) {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event && data) this.events.push({ event, data: JSON.parse(data), at: Date.now() });
    }
  }

  of<T>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data as T);
  }

  close(): void {
    this.#res?.destroy();
  }
}

/** A JSON request on a fresh connection, from `localAddress` when given. */
export function roomCall(
  url: string,
  method: string,
  body?: unknown,
  opts: { headers?: Record<string, string>; localAddress?: string; raw?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the server answered
): Promise<{ status: number; headers: IncomingMessage['headers']; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = request(
      url,
      {
        method,
        agent: false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
