/**
 * A database that refuses connections or cannot be reached, an object store that answers 500 or
 * nothing: what the API answers and what /readyz says, with the real pg driver and the real AWS
 * SDK against real sockets (chaos scenario `dependency-outage` found each of these).
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { openDatabase, pingDatabase } from '../db/database.ts';
import { dependencyOutage } from '../shared/outage.ts';
import { S3ObjectStore } from '../storage/s3-store.ts';
import { registerErrorHandling } from './error-handler.ts';
import { readinessCheck } from './health.routes.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const listen = <T extends HttpServer | TcpServer>(server: T) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );

const storeAt = (port: number) =>
  new S3ObjectStore({
    bucket: 'media',
    prefix: '',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    checksums: 'when_required',
  });

describe('dependency outages', () => {
  // An S3 that answers every request with its 500 InternalError; one that never answers; a TCP
  // port that accepts and never speaks (a database behind a partition); a port nobody listens on.
  let failing: HttpServer;
  let silent: HttpServer;
  let blackhole: TcpServer;
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let ports: { failing: number; silent: number; blackhole: number; closed: number };

  before(async () => {
    failing = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>',
        );
      });
    });
    silent = createHttpServer((req, res) => {
      req.resume();
      held.add(res);
    });
    blackhole = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    const closedServer = createTcpServer();
    const closed = await listen(closedServer);
    await new Promise<void>((resolve) => closedServer.close(() => resolve()));
    ports = {
      failing: await listen(failing),
      silent: await listen(silent),
      blackhole: await listen(blackhole),
      closed,
    };
  });
  after(async () => {
    for (const res of held) res.destroy();
    for (const s of sockets) s.destroy();
    failing.closeAllConnections();
    silent.closeAllConnections();
    await Promise.all(
      [failing, silent, blackhole].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  });

  test('a database error and a store error are answered as coded 503s, without the driver’s words', async () => {
    const db = openDatabase(`postgres://nobody@127.0.0.1:${ports.closed}/none`);
    const store = storeAt(ports.failing);
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    app.get('/v1/db', async () => {
      await pingDatabase(db);
      return {};
    });
    app.get('/v1/store', async () => store.stat('sources/x/original'));
    app.get('/v1/other', async () => {
      throw new Error('a plain bug');
    });
    try {
      const fromDb = await app.inject({ url: '/v1/db' });
      assert.equal(fromDb.statusCode, 503, fromDb.body);
      assert.equal(fromDb.json().error.code, 'FH_ERR_DATABASE_UNAVAILABLE');
      assert.equal(fromDb.headers['retry-after'], '5');
      assert.doesNotMatch(fromDb.body, /ECONNREFUSED|127\.0\.0\.1/);
      const fromStore = await app.inject({ url: '/v1/store' });
      assert.equal(fromStore.statusCode, 503, fromStore.body);
      assert.equal(fromStore.json().error.code, 'FH_ERR_STORAGE_UNAVAILABLE');
      assert.doesNotMatch(fromStore.body, /UnknownError|InternalError|metadata/);
      // Anything else is still an internal error.
      const other = await app.inject({ url: '/v1/other' });
      assert.equal(other.statusCode, 500);
      assert.equal(other.json().error.code, 'FH_ERR_INTERNAL');
    } finally {
      await app.close();
      await db.destroy();
    }
  });

  test('/readyz says what happened: a refused database, a store answering 500, a silent store', async () => {
    const db = openDatabase(`postgres://nobody@127.0.0.1:${ports.closed}/none`);
    try {
      const refused = await readinessCheck({ db, store: storeAt(ports.failing), ffmpegPath: 'ffmpeg' })();
      assert.equal(refused.ready, false);
      assert.equal(
        refused.body.checks.database,
        'failing: the database refused the connection (ECONNREFUSED)',
      );
      // HEAD answers have no body: the SDK calls it "UnknownError"; the status says what happened.
      assert.equal(
        refused.body.checks.object_store,
        'failing: the object store answered 500 Internal Server Error',
      );
      const hung = await readinessCheck({ db, store: storeAt(ports.silent), ffmpegPath: 'ffmpeg' })();
      assert.equal(hung.body.checks.object_store, 'failing: no answer in 3000 ms');
    } finally {
      await db.destroy();
    }
  });

  test('a store that accepts and never answers fails the request in bounded time (no hang)', async () => {
    const store = storeAt(ports.silent);
    const started = Date.now();
    const error = await store.stat('sources/x/original').then(
      () => null,
      (e: unknown) => e,
    );
    const ms = Date.now() - started;
    assert.ok(error, 'the request failed');
    assert.ok(ms < 25_000, `gave up after ${ms} ms`);
    assert.equal(dependencyOutage(error)?.part, 'object_store', String(error));
  });

  test('a database that accepts and never answers fails the query in bounded time (no hang)', async () => {
    const db = openDatabase(`postgres://nobody@127.0.0.1:${ports.blackhole}/none`);
    const started = Date.now();
    try {
      const error = await pingDatabase(db).then(
        () => null,
        (e: unknown) => e,
      );
      const ms = Date.now() - started;
      assert.ok(error, 'the query failed');
      assert.ok(ms < 10_000, `gave up after ${ms} ms`);
      assert.equal(dependencyOutage(error)?.part, 'database', String(error));
    } finally {
      await db.destroy();
    }
  });

  test('errors that are not outages are not taken for one', () => {
    assert.equal(dependencyOutage(new Error('boom')), null);
    // A webhook's unreachable host: fetch wraps the socket error in a TypeError.
    const fetchFailure = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111 }),
    });
    assert.equal(dependencyOutage(fetchFailure), null);
    // The SDK's 404 and 403 are answers, not outages.
    const notFound = Object.assign(new Error('NotFound'), {
      name: 'NotFound',
      $metadata: { httpStatusCode: 404 },
    });
    assert.equal(dependencyOutage(notFound), null);
  });
});
