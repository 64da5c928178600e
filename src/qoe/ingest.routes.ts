import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorSchemaRef } from '../assets/assets.schemas.ts';
import { AppError } from '../shared/errors.ts';
import { MAX_BEACON_BYTES } from './beacon.ts';
import { MAX_CMCD_BODY_BYTES } from './cmcd-reports.ts';
import type { QoeIngestService } from './ingest.service.ts';
import type { ReportRateLimit } from './report-rate-limit.ts';

/** The report endpoints take reports from players on any site (no credentials: nothing to leak). */
export const QOE_REPORT_CORS = {
  origin: '*',
  methods: ['POST'],
  allowedHeaders: ['content-type'],
  exposedHeaders: ['retry-after'],
  maxAge: 86400,
};
export const QOE_REPORT_PATHS = ['/v1/qoe/cmcd', '/v1/qoe/beacon'];

interface Deps {
  /** FRAMEHOUSE_QOE: off, both endpoints answer 410 (a CMCD v2 player then stops reporting here). */
  enabled: boolean;
  ingest: QoeIngestService;
  /** Per client address; null: no limit (FRAMEHOUSE_QOE_RATE_LIMIT=0). */
  limit: ReportRateLimit | null;
}

const TAGS = ['viewer analytics'];
const response = {
  204: { type: 'null', description: 'Stored' },
  '4xx': errorSchemaRef,
  '5xx': errorSchemaRef,
};

/**
 * `POST /v1/qoe/cmcd` and `POST /v1/qoe/beacon` (docs/qoe.md), open to anyone (permission
 * `public`): players report without credentials, as the CMCD v2 event mode expects. Bodies are
 * read as text here and parsed by the service, so a malformed one is a coded 400 like any bad line.
 */
export function registerQoeIngestRoutes(app: FastifyInstance, deps: Deps): void {
  const onRequest = async () => {
    if (!deps.enabled) throw new AppError('FH_ERR_QOE_DISABLED');
  };
  const preHandler = async (request: FastifyRequest) => {
    if (!deps.limit) return;
    try {
      deps.limit.take(request.ip);
    } catch (err) {
      deps.ingest.limited(typeof request.body === 'string' ? request.body : undefined);
      throw err;
    }
  };
  const client = (request: FastifyRequest) => ({
    address: request.ip,
    userAgent: request.headers['user-agent'],
  });
  const stored = (reply: FastifyReply) => reply.code(204).send();

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/cmcd', 'text/plain'], { parseAs: 'string' }, (_r, body, done) =>
      done(null, body),
    );
    scope.post(
      '/v1/qoe/cmcd',
      {
        bodyLimit: MAX_CMCD_BODY_BYTES,
        onRequest,
        preHandler,
        schema: {
          summary: 'CMCD v2 event reports (application/cmcd, one report a line)',
          tags: TAGS,
          response,
        },
      },
      async (request, reply) => {
        await deps.ingest.cmcd(String(request.body ?? ''), client(request));
        return stored(reply);
      },
    );
  });

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_r, body, done) =>
      done(null, body),
    );
    scope.post(
      '/v1/qoe/beacon',
      {
        bodyLimit: MAX_BEACON_BYTES,
        onRequest,
        preHandler,
        schema: {
          summary: "The player's beacon: picture and player sizes, dropped frames, page closing (JSON)",
          tags: TAGS,
          response,
        },
      },
      async (request, reply) => {
        await deps.ingest.beacon(String(request.body ?? ''), client(request));
        return stored(reply);
      },
    );
  });
}
