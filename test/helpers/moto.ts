import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { waitForValue } from './wait.ts';

/**
 * moto's S3 server (Python), a second S3 peer for what s3rver does not implement: listing and
 * aborting multipart uploads, bucket lifecycle rules, storage classes in listings. It is on the
 * machines this project runs on (pip `moto`); where it is not, `motoMissing` says why and the
 * tests that need it are skipped with that reason.
 */
export const motoMissing: string | false = (() => {
  try {
    execFileSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 20_000 });
    return false;
  } catch {
    return 'python3 with moto (pip install "moto[server]") is not installed here';
  }
})();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export async function startMoto(
  bucket = 'framehouse',
): Promise<{ url: string; endpoint: string; client: S3Client; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_REGION ??= 'us-east-1';
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await waitForValue(
      () =>
        fetch(endpoint)
          .then((r) => r.ok)
          .catch(() => false),
      (up) => up,
      { timeoutMs: 20_000, intervalMs: 200, what: 'moto server' },
    );
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return {
      endpoint,
      client,
      url: `s3://${bucket}/framehouse?endpoint=${encodeURIComponent(endpoint)}&force_path_style=true`,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
