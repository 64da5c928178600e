import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Readable, Transform } from 'node:stream';
import { AppError, type ErrorCode } from '../shared/errors.ts';
import {
  parseHttpUrl,
  pinnedLookup,
  type ResolvedAddress,
  resolveHost,
  UnsafeUrlError,
} from '../shared/safe-url.ts';

export interface FetchLimits {
  /** Bytes the body may have; more is FH_ERR_FETCH_TOO_LARGE. */
  maxBytes: number;
  /** The whole fetch (every hop and the body) must end within this. */
  timeoutMs: number;
  /** Redirects followed at most (each one checked again). */
  maxRedirects: number;
  /** Loopback and private addresses too (development), or the ones this says yes to. */
  allowPrivate: boolean | ((address: string) => boolean);
  /** A connection silent this long is given up (and may be tried again). Default 60 s. */
  idleTimeoutMs?: number;
  /** Name → addresses; the system resolver unless a test passes its own. */
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
}

/**
 * A fetch that failed, with the code the asset shows. `retryable` false: trying again cannot
 * help (the queue's permanent failure); true: the other side may answer next time.
 */
export class FetchError extends AppError {
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, retryable = false) {
    super(code, message);
    this.retryable = retryable;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs a URL someone gave us, with the webhook guard's rules on every hop: http(s) only, each
 * host resolved once and every address it has checked to be public (unless allowed), and the
 * connection made to that checked address (pinned: no second lookup an attacker's DNS could
 * answer differently). Redirects are followed by hand, at most `maxRedirects`, each one checked
 * like the first. Hands the body to `sink` as a stream that fails once it passes `maxBytes`;
 * nothing is held whole in memory. The time cap covers every hop and the body.
 */
export async function fetchGuarded<T>(
  rawUrl: string,
  limits: FetchLimits,
  sink: (
    body: Readable,
    response: { url: URL; contentType: string | null; size: number | null },
  ) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new FetchError(
          'FH_ERR_FETCH_FAILED',
          `The URL did not deliver within ${Math.round(limits.timeoutMs / 1000)} s.`,
        ),
      ),
    limits.timeoutMs,
  );
  const abort = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  try {
    const { response, url } = await open(rawUrl, limits, abort);
    const declared = response.headers['content-length'] ? Number(response.headers['content-length']) : null;
    if (declared !== null && declared > limits.maxBytes) {
      response.destroy();
      throw tooLarge(limits.maxBytes);
    }
    const onAbort = () => response.destroy(abort.reason as Error);
    abort.addEventListener('abort', onAbort, { once: true });
    try {
      return await sink(response.pipe(sizeCap(limits.maxBytes, response)), {
        url,
        contentType: response.headers['content-type'] ?? null,
        size: Number.isFinite(declared) ? declared : null,
      });
    } finally {
      abort.removeEventListener('abort', onAbort);
      response.destroy();
    }
  } catch (e) {
    // Whatever failed last, a passed deadline is the reason; a lost lease is the job's business.
    if (deadline.signal.aborted) throw deadline.signal.reason;
    if (signal?.aborted) throw signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function open(rawUrl: string, limits: FetchLimits, signal: AbortSignal) {
  let url = checkedForm(rawUrl);
  for (let hop = 0; ; hop++) {
    const response = await get(url, await pin(url, limits), limits, signal);
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status) && response.headers.location) {
      response.resume();
      if (hop >= limits.maxRedirects)
        throw new FetchError('FH_ERR_FETCH_FAILED', `More than ${limits.maxRedirects} redirects.`);
      let next: string;
      try {
        next = new URL(response.headers.location, url).href;
      } catch {
        throw new FetchError('FH_ERR_FETCH_FAILED', 'A redirect pointed to something that is not a URL.');
      }
      url = checkedForm(next, 'A redirect pointed to');
      continue;
    }
    if (status < 200 || status > 299) {
      response.resume();
      // The other side's trouble (5xx, 429, 408) may pass; a 404 or 403 will not.
      const retryable = status >= 500 || status === 429 || status === 408;
      throw new FetchError('FH_ERR_FETCH_FAILED', `The URL answered HTTP ${status}.`, retryable);
    }
    return { response, url };
  }
}

function checkedForm(raw: string, what = 'The URL is'): URL {
  try {
    return parseHttpUrl(raw);
  } catch (e) {
    if (e instanceof UnsafeUrlError)
      throw new FetchError('FH_ERR_FETCH_FAILED', `${what} not fetchable: ${e.message}.`);
    throw e;
  }
}

/** The one address this hop connects to, checked by the webhook guard's rules. */
async function pin(url: URL, limits: FetchLimits): Promise<ResolvedAddress> {
  try {
    const [first] = await resolveHost(url.hostname, limits.allowPrivate, limits.resolve);
    if (!first) throw new UnsafeUrlError(`${url.hostname} does not resolve`, 'unresolved');
    return first;
  } catch (e) {
    if (!(e instanceof UnsafeUrlError)) throw e;
    if (e.reason === 'address') throw new FetchError('FH_ERR_ADDRESS_REFUSED', `Refused: ${e.message}.`);
    // A name that does not resolve now may resolve later (DNS trouble): worth another attempt.
    throw new FetchError('FH_ERR_FETCH_FAILED', `${e.message}.`, e.reason === 'unresolved');
  }
}

function get(
  url: URL,
  address: ResolvedAddress,
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      headers: { 'user-agent': 'Framehouse (URL ingest)', accept: '*/*', 'accept-encoding': 'identity' },
      // TLS is still checked against the URL's host name; only the address is fixed.
      lookup: pinnedLookup(address),
      timeout: limits.idleTimeoutMs ?? 60_000,
      signal,
    });
    req.on('response', resolve);
    req.on('timeout', () =>
      req.destroy(new FetchError('FH_ERR_FETCH_FAILED', 'The URL stopped answering.', true)),
    );
    req.on('error', (err) => reject(asFetchError(err)));
    req.end();
  });
}

function asFetchError(err: Error): Error {
  if (err instanceof AppError || err.name === 'AbortError') return err;
  // Refused, reset, unreachable, a TLS failure: the network's trouble, worth another attempt.
  return new FetchError('FH_ERR_FETCH_FAILED', `The URL could not be reached: ${err.message}.`, true);
}

/** Passes bytes through until there are more than `max`, then fails (and stops the download). */
function sizeCap(max: number, source: IncomingMessage): Transform {
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) {
        cap.destroy(tooLarge(max));
        source.destroy();
        return;
      }
      done(null, chunk);
    },
  });
  // A connection cut short mid-body is an error for the reader, not a short file.
  const cutShort = (err?: Error) => {
    if (!cap.destroyed)
      cap.destroy(
        err ? asFetchError(err) : new FetchError('FH_ERR_FETCH_FAILED', 'The download was cut short.', true),
      );
  };
  source.on('aborted', () => cutShort());
  source.on('error', cutShort);
  return cap;
}

function tooLarge(max: number): FetchError {
  return new FetchError('FH_ERR_FETCH_TOO_LARGE', `The file at the URL is larger than ${max} bytes.`);
}
