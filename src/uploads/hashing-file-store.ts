import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import { FileStore } from '@tus/file-store';
import type { Db } from '../db/database.ts';
import { ResumableSha256 } from './resumable-sha256.ts';
import { uploadHashesRepo } from './upload-hashes.repo.ts';

/**
 * @tus/file-store that hashes the bytes as it writes them and saves the hash's state with the
 * upload after each request. A request cut short (the process killed in the middle of a
 * PATCH) leaves more bytes in the file than the saved state covers: the next request reads
 * that stretch back from the file before it goes on, so the hash always matches the file.
 */
export class HashingFileStore extends FileStore {
  readonly #db: Db;
  readonly #dir: string;

  constructor(options: ConstructorParameters<typeof FileStore>[0], db: Db) {
    super(options);
    this.#db = db;
    this.#dir = options.directory;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const hash = await this.hashUpTo(id, offset);
    const tee = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // pipeline (not pipe) so that an aborted request reaches the store as an error.
    const newOffset = await super.write(
      pipeline(readable, tee, () => {}),
      id,
      offset,
    );
    // Saved only when it describes exactly what the file holds now.
    if (hash.bytes === newOffset) await uploadHashesRepo.saveForUpload(this.#db, id, hash.save());
    return newOffset;
  }

  /**
   * The hash of the first `offset` staged bytes: the saved state, completed from the file where
   * the process died before saving it (or from the start, where no usable state was saved).
   */
  async hashUpTo(id: string, offset: number): Promise<ResumableSha256> {
    const saved = await uploadHashesRepo.forUpload(this.#db, id);
    const resumed = saved && saved.bytes <= offset ? await ResumableSha256.resume(saved) : null;
    const hash = resumed ?? (await ResumableSha256.start());
    if (hash.bytes < offset) {
      await hash.updateFrom(createReadStream(join(this.#dir, id), { start: hash.bytes, end: offset - 1 }));
    }
    return hash;
  }
}
