/**
 * Is this an image, and which kind — from its first bytes (and, for camera RAW, its name: most
 * RAW formats are TIFF inside, and libvips would quietly show their small embedded preview).
 */
export type ImageKind = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' | 'raw';

const RAW_EXTENSIONS = new Set([
  'dng',
  'cr2',
  'cr3',
  'crw',
  'nef',
  'nrw',
  'arw',
  'srf',
  'sr2',
  'orf',
  'rw2',
  'raf',
  'pef',
  'srw',
  'x3f',
  '3fr',
  'iiq',
  'erf',
  'mef',
  'mos',
  'kdc',
  'dcr',
]);

export function sniffImage(head: Buffer, filename: string | null): ImageKind | null {
  const ext = filename?.split('.').pop()?.toLowerCase() ?? '';
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  const isTiff = ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*';
  if (
    RAW_EXTENSIONS.has(ext) &&
    (isTiff ||
      ascii(0, 4) === 'IIRO' ||
      ascii(0, 4) === 'IIU\0' ||
      ascii(0, 8) === 'FUJIFILM' ||
      ascii(4, 8) === 'ftyp')
  )
    return 'raw';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (isTiff) return 'tiff';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'mif1', 'msf1'].includes(brand)) return 'heic';
  }
  return null;
}
