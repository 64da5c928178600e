import { createHash } from 'node:crypto';

/**
 * How API keys are stored (SHA-256, hex): keys are 256 random bits, so a fast hash is safe. An
 * edge also sends its key's hash on fills (docs/usage.md): the origin knows it from its table,
 * while the key itself never travels with every request.
 */
export function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
