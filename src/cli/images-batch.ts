import { SingleBar } from 'cli-progress';

export interface ImagesBatchOptions {
  server: string;
  key: string | undefined;
  preset: string[];
  ids?: string[];
  prefix?: string;
  stream: NodeJS.WriteStream;
  /** How often the batch is asked for its counters. */
  pollMs?: number;
}

interface Batch {
  id: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  throughput: number | null;
  eta_seconds: number | null;
  errors: Array<{ asset_id: string; code: string; message: string }>;
}

/**
 * `framehouse images batch`: starts a batch on a server (assets by id, or photos under a bucket
 * prefix) and follows it to the end with a progress bar. Returns how many items failed.
 */
export async function imagesBatchCommand(o: ImagesBatchOptions): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, o.server), { ...init, headers });
    const body = (await res.json()) as { data?: Batch; error?: { code: string; message: string } };
    if (!res.ok || !body.data)
      throw new Error(`${body.error?.message ?? `HTTP ${res.status}`} (${body.error?.code ?? ''})`);
    return body.data;
  };
  const presets = o.preset.flatMap((p) => p.split(',')).filter(Boolean);
  let batch = await call('/v1/batches', {
    method: 'POST',
    body: JSON.stringify({ ...(o.ids ? { asset_ids: o.ids } : { source_prefix: o.prefix }), presets }),
  });
  o.stream.write(`batch ${batch.id}: ${batch.total} images × ${presets.join(', ')} on ${o.server}\n`);
  const bar = new SingleBar({
    format: ' batch |{bar}| {value}/{total} · {failed} failed · {rate} images/s · ETA {left}',
    hideCursor: true,
    stream: o.stream,
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  bar.start(batch.total, 0, { failed: 0, rate: '0.00', left: '…' });
  while (batch.status !== 'completed') {
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    batch = await call(`/v1/batches/${batch.id}`);
    bar.update(batch.done + batch.failed, {
      failed: batch.failed,
      rate: (batch.throughput ?? 0).toFixed(2),
      left: batch.eta_seconds === null ? '…' : `${batch.eta_seconds}s`,
    });
  }
  bar.stop();
  o.stream.write(
    `${batch.done} of ${batch.total} done, ${batch.failed} failed (${(batch.throughput ?? 0).toFixed(2)} images/s)\n`,
  );
  for (const e of batch.errors) o.stream.write(`  ✖ ${e.asset_id}: ${e.message} (${e.code})\n`);
  return batch.failed;
}
