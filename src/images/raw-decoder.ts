import { spawn } from 'node:child_process';
import { AppError } from '../shared/errors.ts';

/** LibRaw's converter (read at each call, so a test or an operator can point elsewhere). */
const dcrawEmu = () => process.env.FRAMEHOUSE_DCRAW_EMU ?? 'dcraw_emu';

/**
 * Camera RAW → 16-bit TIFF through LibRaw (`dcraw_emu`): camera white balance, sRGB output.
 * libvips cannot develop RAW files itself; without libraw-bin the error names the package.
 */
export function decodeRaw(input: string, output: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // -T TIFF, -w camera white balance, -o 1 sRGB, -6 16 bits, -Z the output file.
    const child = spawn(dcrawEmu(), ['-T', '-w', '-o', '1', '-6', '-Z', output, input], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new AppError('FH_ERR_RAW_DECODER_MISSING') : e),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new AppError(
              'FH_ERR_MEDIA_DAMAGED',
              `The RAW file cannot be developed: ${stderr.trim().slice(0, 300)}`,
            ),
          ),
    );
  });
}
