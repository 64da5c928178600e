import assert from 'node:assert/strict';
import { test } from 'node:test';
import { securityHeaders } from './security-headers.ts';

test("helmet's headers are worked out once, with our options applied", () => {
  const headers = securityHeaders({
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
  });
  assert.equal(headers['cross-origin-resource-policy'], 'cross-origin');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.match(headers['content-security-policy'] ?? '', /default-src 'self'/);
  assert.equal(headers['cross-origin-embedder-policy'], undefined);
  assert.equal(headers['x-powered-by'], undefined);
});
