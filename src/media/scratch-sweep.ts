import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The start-up sweep of a worker's scratch folder (`{data dir}/work`). A worker killed mid-job
 * (SIGKILL, out of memory, power) leaves its attempts' folders behind, and its ffmpeg children —
 * in process groups of their own — run on and write into them. Another attempt of the job may run
 * on another node, so nobody else will ever remove them: the next process that starts on this
 * data folder does, and ends those orphaned encoders first.
 *
 * The folder may be shared by two live processes (a `serve` and a `worker` on one data folder):
 * the first to start writes its pid to `work.owner` beside it; a later one finds that process alive and leaves
 * everything alone.
 */
export interface ScratchSweepResult {
  /** False: another live process owns the folder; nothing was touched. */
  swept: boolean;
  removed: string[];
  /** Pids of orphaned processes (ffmpeg of a dead predecessor) that were killed. */
  killed: number[];
}

export async function sweepScratch(
  workDir: string,
  opts: { pid?: number; procDir?: string } = {},
): Promise<ScratchSweepResult> {
  const pid = opts.pid ?? process.pid;
  const procDir = opts.procDir ?? '/proc';
  // Beside the folder, not in it: the folder holds only scratch.
  const ownerFile = `${workDir.replace(/\/+$/, '')}.owner`;
  const owner = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(owner) && owner > 0 && owner !== pid && isAlive(owner)) {
    return { swept: false, removed: [], killed: [] };
  }
  const killed = await killOrphans(workDir, procDir, pid);
  const removed: string[] = [];
  for (const entry of await readdir(workDir).catch((): string[] => [])) {
    await rm(join(workDir, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  await writeFile(ownerFile, `${pid}\n`).catch(() => {});
  return { swept: true, removed, killed };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills (SIGKILL, whole process group) every process but us whose command line names the folder. */
async function killOrphans(workDir: string, procDir: string, self: number): Promise<number[]> {
  const killed: number[] = [];
  const prefix = workDir.endsWith('/') ? workDir : `${workDir}/`;
  for (const entry of await readdir(procDir).catch((): string[] => [])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === self) continue;
    const cmdline = await readFile(join(procDir, entry, 'cmdline'), 'utf8').catch(() => '');
    if (!cmdline.split('\0').some((arg) => arg.includes(prefix))) continue;
    try {
      // ffmpeg runs detached: its pid is its process group's id.
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        continue; // gone meanwhile, or not ours to kill
      }
    }
    killed.push(pid);
  }
  return killed;
}
