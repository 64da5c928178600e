import { AppError } from './errors.ts';

/**
 * Cursor pagination over (created_at, id), newest first: the cursor is the last row of the
 * previous page, opaque to clients (base64url JSON). A cursor that does not decode is a coded 400.
 */
export function encodePageCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodePageCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through to the coded error
  }
  throw new AppError('FH_ERR_CURSOR_INVALID');
}
