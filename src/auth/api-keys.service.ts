import { randomBytes } from 'node:crypto';
import { recordAudit, type AuditWho as Who } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import type { ApiKeysTable } from '../db/schema.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { keyHash as hashKey } from '../shared/key-hash.ts';
import { isoNow } from '../shared/time.ts';
import { SCOPES, type Scope } from './policy.ts';
import type { Principal } from './principal.ts';

/** Keys look like `fh_` + 43 base64url characters (256 random bits). */
const KEY_PREFIX = 'fh_';
/** last_used_at is written at most this often per key: not one write per request. */
const LAST_USED_GRANULARITY_MS = 60_000;

export interface ApiKeyJson {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export { hashKey };

/**
 * API keys: made once (the key is shown only then), stored as a hash, looked up in the database
 * on every request — so a revocation holds on every api node at once.
 */
export class ApiKeysService {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(who: Who, name: string, scopes: Scope[]): Promise<{ key: string; apiKey: ApiKeyJson }> {
    const unknown = scopes.filter((s) => !SCOPES.includes(s));
    if (unknown.length > 0) throw new AppError('FH_ERR_VALIDATION', `Unknown scopes: ${unknown.join(', ')}`);
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row: ApiKeysTable = {
      id: newId(),
      name,
      key_hash: hashKey(key),
      scopes: JSON.stringify([...new Set(scopes)]),
      created_by: who.actor,
      from_env: 0,
      created_at: isoNow(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('api_keys').values(row).execute();
      await recordAudit(trx, who, {
        action: 'api_key.created',
        target: { type: 'api_key', id: row.id },
        details: { name, scopes: JSON.parse(row.scopes) },
      });
    });
    return { key, apiKey: present(row) };
  }

  async list(): Promise<ApiKeyJson[]> {
    const rows = await this.#db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(present);
  }

  /** Hashes of the admin keys not revoked: an edge that reports its deliveries sends its own on fills. */
  async adminKeyHashes(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .select(['key_hash', 'scopes'])
      .where('revoked_at', 'is', null)
      .execute();
    return rows.filter((r) => (JSON.parse(r.scopes) as string[]).includes('admin')).map((r) => r.key_hash);
  }

  async get(id: string): Promise<ApiKeyJson> {
    const row = await this.#db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('FH_ERR_API_KEY_NOT_FOUND');
    return present(row);
  }

  async revoke(who: Who, id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('api_keys')
        .set({ revoked_at: isoNow() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) {
        const exists = await trx.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
        if (!exists) throw new AppError('FH_ERR_API_KEY_NOT_FOUND');
        return; // revoked already: nothing changes, nothing to record
      }
      await recordAudit(trx, who, { action: 'api_key.revoked', target: { type: 'api_key', id } });
    });
  }

  /** The principal a presented key stands for, or null when it is unknown or revoked. */
  async authenticate(key: string): Promise<Principal | null> {
    if (key.length > 512) return null;
    const row = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hashKey(key))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    if (!row.last_used_at || now - Date.parse(row.last_used_at) > LAST_USED_GRANULARITY_MS) {
      await this.#db
        .updateTable('api_keys')
        .set({ last_used_at: new Date(now).toISOString() })
        .where('id', '=', row.id)
        .execute();
    }
    return {
      kind: 'api_key',
      id: row.id,
      name: row.name,
      scopes: JSON.parse(row.scopes) as Scope[],
      fromEnv: row.from_env === 1,
    };
  }

  /** True once any credential exists: from then on every non-public route needs one. */
  async anyActive(): Promise<boolean> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select('id')
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * FRAMEHOUSE_ADMIN_API_KEY: an admin key with exactly that value exists after start-up. A
   * changed value revokes the key the previous value made.
   */
  async ensureEnvAdminKey(value: string): Promise<void> {
    const hash = hashKey(value);
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('api_keys')
        .set({ revoked_at: isoNow() })
        .where('from_env', '=', 1)
        .where('key_hash', '!=', hash)
        .where('revoked_at', 'is', null)
        .execute();
      const existing = await trx
        .selectFrom('api_keys')
        .select(['id', 'revoked_at'])
        .where('key_hash', '=', hash)
        .executeTakeFirst();
      if (existing && !existing.revoked_at) return;
      if (existing) {
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: null, from_env: 1, scopes: JSON.stringify(['admin']) })
          .where('id', '=', existing.id)
          .execute();
        return;
      }
      await trx
        .insertInto('api_keys')
        .values({
          id: newId(),
          name: 'FRAMEHOUSE_ADMIN_API_KEY',
          key_hash: hash,
          scopes: JSON.stringify(['admin']),
          created_by: null,
          from_env: 1,
          created_at: isoNow(),
          last_used_at: null,
          revoked_at: null,
        })
        // Two nodes starting at once: the second finds the first one's row.
        .onConflict((oc) => oc.column('key_hash').doNothing())
        .execute();
    });
  }
}

function present(row: ApiKeysTable): ApiKeyJson {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}
