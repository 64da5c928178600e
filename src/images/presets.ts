import type { Db } from '../db/database.ts';
import { isoNow } from '../shared/time.ts';
import { DEFAULT_PRESETS, DEFAULT_RECIPE, type Recipe } from './recipe.ts';

const GRAVITIES = ['no', 'so', 'ea', 'we', 'noea', 'nowe', 'soea', 'sowe', 'ce', 'sm'];

/** A preset as the API takes it: a Recipe, with the watermark named by its image asset. */
export const presetBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    width: { type: 'integer', minimum: 0, maximum: 16384 },
    height: { type: 'integer', minimum: 0, maximum: 16384 },
    fit: { type: 'string', enum: ['fit', 'fill', 'fill-down', 'force', 'auto'] },
    enlarge: { type: 'boolean' },
    gravity: { type: 'string', enum: GRAVITIES },
    blur: { type: 'number', minimum: 0, maximum: 100 },
    sharpen: { type: 'number', minimum: 0, maximum: 100 },
    watermark: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['asset_id'],
      properties: {
        asset_id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
        opacity: { type: 'number', minimum: 0, maximum: 1 },
        position: { type: 'string', enum: [...GRAVITIES.filter((g) => g !== 'sm'), 're'] },
        margin: { type: 'integer', minimum: 0, maximum: 4096 },
        scale: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    format: { type: 'string', enum: ['jpeg', 'png', 'webp', 'avif'] },
    quality: { type: ['integer', 'null'], minimum: 1, maximum: 100 },
  },
} as const;

/** A stored preset: the Recipe, its watermark by asset id (resolved to a key when used). */
export type StoredPreset = Omit<Recipe, 'watermark'> & {
  watermark: { asset_id: string; opacity: number; position: string; margin: number; scale: number } | null;
};

export function presetFromBody(body: Partial<StoredPreset>): StoredPreset {
  const { watermark, ...rest } = body;
  return {
    ...DEFAULT_RECIPE,
    ...rest,
    watermark: watermark
      ? Object.assign({ opacity: 1, position: 'soea', margin: 16, scale: 0.2 }, watermark)
      : null,
  } as StoredPreset;
}

const builtin = (r: Recipe): StoredPreset => ({ ...r, watermark: null });

/**
 * Named recipes: the built-in ones (4k, 1080p, thumbnail), those from FRAMEHOUSE_IMAGE_PRESETS
 * (a JSON object of name → preset), and those saved through the API, later ones winning.
 */
export class Presets {
  readonly #db: Db;
  readonly #configured: Record<string, StoredPreset>;

  constructor(db: Db, configuredJson?: string) {
    this.#db = db;
    this.#configured = {};
    if (configuredJson) {
      const parsed = JSON.parse(configuredJson) as Record<string, Partial<StoredPreset>>;
      for (const [name, body] of Object.entries(parsed)) this.#configured[name] = presetFromBody(body);
    }
  }

  async list(): Promise<Array<{ name: string; source: 'builtin' | 'config' | 'api'; preset: StoredPreset }>> {
    const out = new Map<
      string,
      { name: string; source: 'builtin' | 'config' | 'api'; preset: StoredPreset }
    >();
    for (const [name, r] of Object.entries(DEFAULT_PRESETS))
      out.set(name, { name, source: 'builtin', preset: builtin(r) });
    for (const [name, p] of Object.entries(this.#configured))
      out.set(name, { name, source: 'config', preset: p });
    for (const row of await this.#db.selectFrom('image_presets').selectAll().execute())
      out.set(row.name, { name: row.name, source: 'api', preset: JSON.parse(row.recipe) as StoredPreset });
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async put(name: string, preset: StoredPreset): Promise<void> {
    const recipe = JSON.stringify(preset);
    await this.#db
      .insertInto('image_presets')
      .values({ name, recipe, updated_at: isoNow() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ recipe, updated_at: isoNow() }))
      .execute();
  }

  /** Removes a saved preset (a built-in or configured one of that name shows again). */
  async delete(name: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('image_presets').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
