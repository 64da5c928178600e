/**
 * Tells an outage of a dependency (the database unreachable, the object store failing or silent)
 * from every other error, by the error's shape alone (no driver imported here): pg's connection
 * errors and the AWS SDK's server-side and network errors. What it finds is said in words a person
 * reads (`/readyz`, logs), and answered as a coded 503 rather than an internal error; a job that
 * fails this way is retried without using up its attempts (the outage is not the job's fault).
 */
export interface Outage {
  part: 'database' | 'object_store';
  /** What happened, e.g. "the object store answered 500 InternalError". */
  reason: string;
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errno?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; reason?: string };
  $fault?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * pg's own words for a connection that broke or could not be made (`timeout expired`, exactly, is
 * its client's connection timeout: the socket destroyed with that error).
 */
const PG_CONNECTION_MESSAGES =
  /^timeout expired$|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|terminating connection due to administrator command|the database system is (starting up|shutting down)/i;

/** SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart). */
const PG_CONNECTION_STATE = /^(08\d{3}|57P0[1-3])$/;

const HTTP_REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function networkWords(code: string): string {
  if (code === 'ECONNREFUSED') return 'refused the connection';
  if (code === 'ETIMEDOUT') return 'did not answer in time';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be found (DNS)';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'could not be reached';
  return 'cut the connection';
}

/** The outage an error reveals (looking through `cause`), or null for any other error. */
export function dependencyOutage(error: unknown): Outage | null {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const found = outageOf(e as ErrorShape, depth === 0);
    if (found) return found;
    e = (e as ErrorShape).cause;
  }
  return null;
}

function outageOf(e: ErrorShape, top: boolean): Outage | null {
  const code = typeof e.code === 'string' ? e.code : '';
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  // The AWS SDK: its errors carry $metadata (the retry middleware adds it to network errors too).
  if (e.$metadata !== undefined || e.$fault !== undefined) {
    const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
    if (name === 'TimeoutError' || name === 'RequestTimeout' || /timed? ?out/i.test(message))
      return { part: 'object_store', reason: `the object store did not answer in time (${message || name})` };
    if (status !== undefined && status >= 500) {
      const said =
        name && !/^(Unknown(Error)?|Error|\d+)$/.test(name) ? name : (HTTP_REASONS[status] ?? 'an error');
      return { part: 'object_store', reason: `the object store answered ${status} ${said}` };
    }
    if (status === undefined && NETWORK_CODES.has(code))
      return { part: 'object_store', reason: `the object store ${networkWords(code)} (${code})` };
    return null;
  }
  if (PG_CONNECTION_STATE.test(code) || PG_CONNECTION_MESSAGES.test(message))
    return { part: 'database', reason: `the database connection failed: ${message.split('\n')[0]}` };
  // A bare socket error, thrown as is: pg's (the S3 client's carry $metadata; fetch wraps its own
  // in a TypeError, so a webhook's unreachable host is not taken for the database).
  if (top && NETWORK_CODES.has(code) && typeof e.errno === 'number')
    return { part: 'database', reason: `the database ${networkWords(code)} (${code})` };
  return null;
}
