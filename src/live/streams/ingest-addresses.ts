/**
 * Where broadcasters publish: the host and ports the API puts in a stream's `ingest` URLs.
 *
 * The host is FRAMEHOUSE_LIVE_INGEST_HOST (the TCP load balancer in front of the live nodes),
 * else the FRAMEHOUSE_PUBLIC_URL host, else the host name the request came to (one machine).
 * The RTMP port is the configured one; a live node in this process that was given any free port
 * (FRAMEHOUSE_RTMP_PORT=0, tests) reports the one it got with `setRtmpPort`.
 */
export interface IngestEndpoints {
  host: string;
  rtmpPort: number;
  /** Null: RTMPS is off (no certificate configured). */
  rtmpsPort: number | null;
  srtEnabled: boolean;
}

export class IngestAddresses {
  readonly #host: string | null;
  #rtmpPort: number;
  readonly #rtmpsPort: number | null;
  readonly #srtEnabled: boolean;

  constructor(opts: {
    ingestHost?: string | undefined;
    publicUrl?: string | undefined;
    rtmpPort: number;
    /** Null when RTMPS is off. */
    rtmpsPort: number | null;
    srtEnabled: boolean;
  }) {
    this.#host = opts.ingestHost ?? (opts.publicUrl ? new URL(opts.publicUrl).hostname : null);
    this.#rtmpPort = opts.rtmpPort;
    this.#rtmpsPort = opts.rtmpsPort;
    this.#srtEnabled = opts.srtEnabled;
  }

  setRtmpPort(port: number): void {
    this.#rtmpPort = port;
  }

  /** `requestHost`: the host name the API request came to (no port). */
  endpointsFor(requestHost: string): IngestEndpoints {
    return {
      host: urlHost(this.#host ?? requestHost),
      rtmpPort: this.#rtmpPort,
      rtmpsPort: this.#rtmpsPort,
      srtEnabled: this.#srtEnabled,
    };
  }
}

/** An IPv6 literal goes in brackets inside a URL; a host name or IPv4 address as it is. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
