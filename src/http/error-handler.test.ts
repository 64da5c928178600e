import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ERROR_MESSAGES_KO } from '../i18n/error-messages.ko.ts';
import { AppError } from '../shared/errors.ts';
import { registerErrorHandling } from './error-handler.ts';

/** A real Fastify with the error handling, its log lines kept. */
async function appWithLog() {
  const lines: Array<Record<string, unknown>> = [];
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
    disableRequestLogging: true,
  });
  registerErrorHandling(app);
  app.get('/v1/long-title', async () => {
    throw new AppError('FH_ERR_VALIDATION', 'Field "title" is longer than 500 characters.');
  });
  app.get('/v1/quota', async () => {
    throw new AppError('FH_ERR_QUOTA_EXCEEDED', 'This upload (2 GB) would take your storage to 12 GB.', {
      quota: 'storage_bytes',
      limit: 10e9,
      used: 10e9,
      requested: 2e9,
    });
  });
  app.get('/v1/gzip', async (_request, reply) => {
    reply.header('vary', 'Accept-Encoding');
    throw new AppError('FH_ERR_ASSET_NOT_FOUND');
  });
  app.get('/v1/anything', async (_request, reply) => {
    reply.header('vary', '*');
    throw new AppError('FH_ERR_ASSET_NOT_FOUND');
  });
  await app.ready();
  return { app, lines };
}

test('a Korean answer that leaves out a specific English text logs it: one info line, no stack', async () => {
  const { app, lines } = await appWithLog();
  const ko = await app.inject({ url: '/v1/long-title', headers: { 'accept-language': 'ko' } });
  assert.equal(ko.json().error.message, ERROR_MESSAGES_KO.FH_ERR_VALIDATION);
  const logged = lines.filter((l) => l.code === 'FH_ERR_VALIDATION');
  assert.equal(logged.length, 1);
  assert.equal(logged[0]?.level, 30, 'info');
  assert.equal(logged[0]?.english, 'Field "title" is longer than 500 characters.');
  assert.equal(logged[0]?.err, undefined, 'no error object, no stack');
  assert.doesNotMatch(JSON.stringify(logged[0]), /\n\s+at /);

  // English says it itself; a Korean quota refusal says its numbers: nothing to log.
  lines.length = 0;
  await app.inject({ url: '/v1/long-title' });
  const quota = await app.inject({ url: '/v1/quota', headers: { 'accept-language': 'ko' } });
  assert.match(quota.json().error.message, /^이 업로드\(2GB\)를 받으면/);
  assert.deepEqual(
    lines.filter((l) => l.code !== undefined),
    [],
  );
  await app.close();
});

test('Vary: Accept-Language is added to a Vary already set, and Content-Language says the language', async () => {
  const { app } = await appWithLog();
  const gzip = await app.inject({ url: '/v1/gzip', headers: { 'accept-language': 'ko-KR' } });
  assert.equal(gzip.headers.vary, 'Accept-Encoding, Accept-Language');
  assert.equal(gzip.headers['content-language'], 'ko');
  const star = await app.inject({ url: '/v1/anything' });
  assert.equal(star.headers.vary, '*');
  assert.equal(star.headers['content-language'], 'en');
  const none = await app.inject({ url: '/v1/no-route', headers: { 'accept-language': 'fr' } });
  assert.equal(none.statusCode, 404);
  assert.equal(none.headers.vary, 'Accept-Language');
  assert.equal(none.headers['content-language'], 'en');
  // Machine endpoints answer in English whatever is asked: nothing varies.
  const metrics = await app.inject({ url: '/metrics', headers: { 'accept-language': 'ko' } });
  assert.equal(metrics.statusCode, 404);
  assert.equal(metrics.headers.vary, undefined);
  assert.equal(metrics.headers['content-language'], undefined);
  await app.close();
});

test('a malformed multipart body (no boundary, cut before its closing boundary) is a 400, not a 500', async () => {
  const { default: multipart } = await import('@fastify/multipart');
  const app = Fastify({ logger: false });
  registerErrorHandling(app);
  await app.register(multipart);
  app.post('/v1/upload', async (request) => {
    let bytes = 0;
    for await (const part of request.parts()) {
      if (part.type === 'file') for await (const chunk of part.file) bytes += (chunk as Buffer).length;
    }
    return { bytes };
  });
  await app.ready();
  const cut = Buffer.from(
    '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nbytes and no closing boundary',
  );
  const answers = [
    await app.inject({
      method: 'POST',
      url: '/v1/upload',
      headers: { 'content-type': 'multipart/form-data' },
      payload: 'file=x',
    }),
    await app.inject({
      method: 'POST',
      url: '/v1/upload',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      payload: cut,
    }),
    await app.inject({
      method: 'POST',
      url: '/v1/upload',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      payload: Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nno end'),
    }),
  ];
  for (const res of answers) {
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'FH_ERR_VALIDATION');
  }
  await app.close();
});
