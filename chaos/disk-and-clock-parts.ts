/**
 * The disk-and-clock scenario's parts: a tmpfs mounted and filled, tus and multipart uploads, and
 * the completeness of an asset's stored HLS objects, read by ffprobe.
 */
import { execFile } from 'node:child_process';
import { open, readFile, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FFPROBE } from '../test/fixtures/media.ts';

const run = promisify(execFile);

export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

/** Unmounts, lazily when something still holds it open (a process that did not exit yet). */
export async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
}

export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Grows `file` until the file system has at most `leave` bytes free (0: until ENOSPC). */
export async function fillTo(dir: string, file: string, leave: number): Promise<number> {
  const fh = await open(file, 'a');
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  let written = 0;
  try {
    for (;;) {
      const free = await freeBytes(dir);
      const room = free - leave;
      if (room <= 0) break;
      try {
        const n = Math.min(room, chunk.length);
        await fh.write(chunk, 0, n);
        written += n;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally {
    await fh.close();
  }
  return written;
}

export async function removeFiller(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** One ffprobe of bytes on stdin: what it says is wrong (empty when nothing) and the duration it read. */
async function probeBytes(bytes: Buffer): Promise<{ errors: string; duration: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      FFPROBE,
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', '-i', 'pipe:0'],
      { maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({
          errors: `${stderr}${err && !stderr ? err.message : ''}`.trim(),
          duration: Number(stdout.trim()),
        }),
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(bytes);
  });
}

/**
 * Every rendition playlist of a stored asset (local store under `objectsDir`), and every segment it
 * names, init segment prepended, read by ffprobe: none may be cut short or unreadable, and each
 * must have a duration. Returns the problems (empty: all complete) and how many
 * segments were read.
 */
export async function storedHlsComplete(
  objectsDir: string,
  assetId: string,
): Promise<{ problems: string[]; segments: number }> {
  const problems: string[] = [];
  let segments = 0;
  const base = join(objectsDir, 'hls', assetId);
  const master = await readFile(join(base, 'master.m3u8'), 'utf8').catch(() => undefined);
  if (master === undefined) return { problems: ['no master playlist'], segments };
  const renditions = master
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && l.endsWith('.m3u8'));
  if (renditions.length === 0) problems.push('master names no rendition');
  for (const r of renditions) {
    const dir = join(base, r.slice(0, r.lastIndexOf('/') + 1));
    const playlist = await readFile(join(base, r), 'utf8').catch(() => undefined);
    if (playlist === undefined) {
      problems.push(`${r} missing`);
      continue;
    }
    if (!playlist.includes('#EXT-X-ENDLIST'))
      problems.push(`${r} has no ENDLIST: ${JSON.stringify(playlist.slice(0, 400))}`);
    const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
    const init = initUri ? await readFile(join(dir, initUri)).catch(() => undefined) : Buffer.alloc(0);
    if (!init) {
      problems.push(`${r}: init ${initUri} missing`);
      continue;
    }
    let extinf = 0;
    for (const line of playlist.split('\n').map((l) => l.trim())) {
      const m = /^#EXTINF:([\d.]+)/.exec(line);
      if (m) extinf = Number(m[1]);
      if (!line || line.startsWith('#')) continue;
      segments++;
      const seg = await readFile(join(dir, line)).catch(() => undefined);
      if (!seg) {
        problems.push(`${r}: ${line} missing`);
        continue;
      }
      const { errors, duration } = await probeBytes(Buffer.concat([init, seg]));
      if (errors) problems.push(`${r}: ${line}: ${errors.split('\n')[0]}`);
      else if (!(duration > 0) || !(extinf > 0))
        problems.push(`${r}: ${line} reads as ${duration} s (#EXTINF ${extinf})`);
    }
  }
  return { problems, segments };
}
