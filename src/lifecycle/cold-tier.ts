import type { ObjectStore } from '../storage/object-store.ts';
import type { TieredObjectStore } from '../storage/tiered-store.ts';

/** Where objects go when an asset turns cold: one object at a time, idempotent. */
export interface ColdTier {
  /** For logs and the CLI: "storage class STANDARD_IA", "second store file:/…". */
  readonly description: string;
  /** `moved` false: the object was in the cold tier already (an earlier, interrupted run). */
  move(key: string): Promise<{ moved: boolean; bytes: number }>;
}

/** S3: each object copied onto itself with the colder class. */
export class StorageClassTier implements ColdTier {
  readonly description: string;
  readonly #store: ObjectStore & Required<Pick<ObjectStore, 'setStorageClass'>>;
  readonly #storageClass: string;

  constructor(store: ObjectStore, storageClass: string) {
    if (!store.setStorageClass) throw new Error('FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS needs an S3 store');
    this.#store = store as ObjectStore & Required<Pick<ObjectStore, 'setStorageClass'>>;
    this.#storageClass = storageClass;
    this.description = `storage class ${storageClass}`;
  }

  async move(key: string): Promise<{ moved: boolean; bytes: number }> {
    const { changed, size } = await this.#store.setStorageClass(key, this.#storageClass);
    return { moved: changed, bytes: changed ? size : 0 };
  }
}

/** A second store: each object copied there, checked, then removed from the main store. */
export class SecondStoreTier implements ColdTier {
  readonly description: string;
  readonly #store: TieredObjectStore;

  constructor(store: TieredObjectStore, url: string) {
    this.#store = store;
    this.description = `second store ${url}`;
  }

  move(key: string): Promise<{ moved: boolean; bytes: number }> {
    return this.#store.demote(key);
  }
}
