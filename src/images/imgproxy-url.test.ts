import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  type ImageOptions,
  ImgproxyUrlError,
  imgKeysFromHex,
  parseImgproxyPath,
  signImgproxyPath,
} from './imgproxy-url.ts';

// The example key/salt pair from imgproxy's documentation, so its published signatures can be checked.
const KEY_HEX = '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881';
const SALT_HEX = '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5';
const KEYS = imgKeysFromHex(KEY_HEX, SALT_HEX) ?? assert.fail('keys expected');
const ID = 'abc12345xyz';

const parse = (pathWithoutSignature: string) =>
  parseImgproxyPath(signImgproxyPath(pathWithoutSignature, KEYS), KEYS);
const options = (pathWithoutSignature: string) => parse(pathWithoutSignature).options;
const canonical = (pathWithoutSignature: string) => parse(pathWithoutSignature).canonical;

function refused(fn: () => unknown, code: ImgproxyUrlError['code'], message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ImgproxyUrlError, `expected ImgproxyUrlError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}
const refusedOptions = (pathWithoutSignature: string, message?: RegExp) =>
  refused(() => parse(pathWithoutSignature), 'FH_ERR_IMG_OPTIONS', message);

const DEFAULTS: ImageOptions = {
  resize: { type: 'fit', width: 0, height: 0, enlarge: false, extend: false },
  gravity: { type: 'ce', x: 0, y: 0 },
  blur: 0,
  sharpen: 0,
  watermark: null,
  quality: null,
  format: null,
  dpr: 1,
};
const withDefaults = (o: Partial<ImageOptions>): ImageOptions => ({ ...structuredClone(DEFAULTS), ...o });
const resize = (r: Partial<ImageOptions['resize']>) => ({ resize: { ...DEFAULTS.resize, ...r } });

/** Replaces the character at `index` with another one of the same kind, so only the bytes change. */
function flip(s: string, index: number): string {
  const c = s[index] ?? assert.fail('index out of range');
  const other = /\d/.test(c) ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : 'A';
  return s.slice(0, index) + other + s.slice(index + 1);
}

describe('signing', () => {
  test("matches the signature published in imgproxy's documentation for its example key and salt", () => {
    const path = '/fill/300/300/no/1/aHR0cDovL2ltZy5leGFtcGxlLmNvbS9wcmV0dHkvaW1hZ2UuanBn.png';
    assert.equal(signImgproxyPath(path, KEYS), `/_PQ4ytCQMMp-1w1m_vP6g8Qb-Q7yF9mwghf6PddqxLw${path}`);
  });

  test('a path without its leading slash is a programming error', () => {
    assert.throws(() => signImgproxyPath('rs:fit:1:1/plain/assets/abc12345', KEYS), TypeError);
  });

  test('our own signed URLs verify; the signature is the full 43-character HMAC', () => {
    const signed = signImgproxyPath(`/rs:fill:300:200/plain/assets/${ID}@webp`, KEYS);
    assert.match(signed, /^\/[A-Za-z0-9_-]{43}\/rs:fill:300:200\//);
    assert.equal(parseImgproxyPath(signed, KEYS).assetId, ID);
  });

  test('without configured keys every URL is refused, even a correctly signed one', () => {
    const signed = signImgproxyPath(`/plain/assets/${ID}`, KEYS);
    refused(() => parseImgproxyPath(signed, null), 'FH_ERR_IMG_SIGNATURE', /no signing key and salt/);
  });

  test('a missing signature is refused', () => {
    for (const path of ['', '/', `/plain/assets/${ID}`, `//rs:fit:1:1/plain/assets/${ID}`, 'unsafe'])
      refused(() => parseImgproxyPath(path, KEYS), 'FH_ERR_IMG_SIGNATURE');
    // imgproxy's "insecure"/"unsafe" placeholders are just wrong signatures here
    refused(() => parseImgproxyPath(`/insecure/plain/assets/${ID}`, KEYS), 'FH_ERR_IMG_SIGNATURE');
  });

  test('flipping any one character of the signed path or of the signature is refused', () => {
    const path = `/rs:fill:300:200:1/g:sm/q:80/plain/assets/${ID}@webp`;
    const signed = signImgproxyPath(path, KEYS);
    const sigEnd = 44;
    for (let i = 1; i < signed.length; i++) {
      if (i === sigEnd) continue; // the '/' separating signature and path
      const tampered = flip(signed, i);
      if (tampered === signed) continue;
      refused(() => parseImgproxyPath(tampered, KEYS), 'FH_ERR_IMG_SIGNATURE');
    }
  });

  test('a signature made with another key or another salt is refused', () => {
    const path = `/w:300/plain/assets/${ID}`;
    const otherKey = { key: randomBytes(32), salt: KEYS.salt };
    const otherSalt = { key: KEYS.key, salt: randomBytes(32) };
    refused(() => parseImgproxyPath(signImgproxyPath(path, otherKey), KEYS), 'FH_ERR_IMG_SIGNATURE');
    refused(() => parseImgproxyPath(signImgproxyPath(path, otherSalt), KEYS), 'FH_ERR_IMG_SIGNATURE');
  });

  test('truncated, padded or non-canonical signatures are refused', () => {
    const path = `/w:300/plain/assets/${ID}`;
    const sig = signImgproxyPath(path, KEYS).slice(1, 44);
    const full = Buffer.from(sig, 'base64url');
    const truncated = full.subarray(0, 8).toString('base64url'); // IMGPROXY_SIGNATURE_SIZE=8 style
    refused(() => parseImgproxyPath(`/${truncated}${path}`, KEYS), 'FH_ERR_IMG_SIGNATURE', /full 32-byte/);
    refused(() => parseImgproxyPath(`/${sig}=${path}`, KEYS), 'FH_ERR_IMG_SIGNATURE');
    refused(() => parseImgproxyPath(`/${full.toString('base64')}${path}`, KEYS), 'FH_ERR_IMG_SIGNATURE');
    // The last of 43 characters carries 2 unused bits: setting them decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1) ?? '');
    const malleated = sig.slice(0, 42) + alphabet[last | 1];
    assert.deepEqual(Buffer.from(malleated, 'base64url'), full);
    refused(() => parseImgproxyPath(`/${malleated}${path}`, KEYS), 'FH_ERR_IMG_SIGNATURE');
  });

  test('a query string is not part of the signed path and is ignored', () => {
    const signed = signImgproxyPath(`/w:300/plain/assets/${ID}`, KEYS);
    assert.equal(parseImgproxyPath(`${signed}?v=2`, KEYS).options.resize.width, 300);
  });

  test('the signature is checked before options: a forged URL learns nothing about them', () => {
    const sig = 'A'.repeat(43);
    refused(() => parseImgproxyPath(`/${sig}/nonsense:1/plain/http://x`, KEYS), 'FH_ERR_IMG_SIGNATURE');
  });
});

describe('signatures from an independent implementation (Python hmac/hashlib/base64)', () => {
  const python = spawnSync('python3', ['--version']);
  const skip = python.error || python.status !== 0 ? 'python3 is not installed' : false;
  if (skip) console.log(`# skipping the Python signature test: ${skip}`);

  // Written from imgproxy's description of the scheme, sharing no code with the module under test.
  const script = [
    'import base64, hashlib, hmac, sys',
    'key, salt = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])',
    'for path in sys.argv[3:]:',
    '    digest = hmac.new(key, salt + path.encode("utf-8"), hashlib.sha256).digest()',
    '    print(base64.urlsafe_b64encode(digest).decode().rstrip("="))',
  ].join('\n');
  /** One signature per path, in order (one process per key pair keeps the test fast). */
  const pythonSign = (keyHex: string, saltHex: string, paths: string[]) =>
    execFileSync('python3', ['-c', script, keyHex, saltHex, ...paths], { encoding: 'utf8' })
      .trim()
      .split('\n');

  test('its signatures are accepted, and refused once the path or signature is tampered with', {
    skip,
  }, () => {
    const pairs = [
      [KEY_HEX, SALT_HEX],
      [randomBytes(32).toString('hex'), randomBytes(16).toString('hex')],
      [randomBytes(64).toString('hex'), randomBytes(64).toString('hex')],
    ] as const;
    const paths = [
      `/plain/assets/${ID}`,
      `/rs:fill:300:200:1/g:sm/q:80/plain/assets/${ID}@webp`,
      `/resize:fit:1920:1080:0:1/gravity:fp:0.25:0.75/dpr:2/format:avif/plain/assets/${ID}`,
      `/w:640/h:360/bl:2.5/sh:0.7/wm:0.5:soea:10:10:0.2/plain/assets%2F${ID}@jpg`,
      `/s:300:300/ex:1/plain/%61ssets/${ID}`,
    ];
    for (const [keyHex, saltHex] of pairs) {
      const keys = imgKeysFromHex(keyHex, saltHex) ?? assert.fail('keys expected');
      const sigs = pythonSign(keyHex, saltHex, paths);
      assert.equal(sigs.length, paths.length);
      for (const [i, path] of paths.entries()) {
        const sig = sigs[i] ?? assert.fail('signature expected');
        assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(signImgproxyPath(path, keys), `/${sig}${path}`);
        assert.equal(parseImgproxyPath(`/${sig}${path}`, keys).assetId, ID, path);

        const digit = path.search(/\d/);
        refused(() => parseImgproxyPath(`/${sig}${flip(path, digit)}`, keys), 'FH_ERR_IMG_SIGNATURE');
        refused(
          () => parseImgproxyPath(`/${sig}${path.replace(ID, 'zzz12345xyz')}`, keys),
          'FH_ERR_IMG_SIGNATURE',
        );
        refused(() => parseImgproxyPath(`/${flip(sig, 5)}${path}`, keys), 'FH_ERR_IMG_SIGNATURE');
        refused(() => parseImgproxyPath(`/${flip(sig, 42)}${path}`, keys), 'FH_ERR_IMG_SIGNATURE');
      }
    }
  });
});

describe('processing options', () => {
  test('no options: every default, no format (the source keeps its own)', () => {
    const req = parse(`/plain/assets/${ID}`);
    assert.equal(req.assetId, ID);
    assert.deepEqual(req.options, DEFAULTS);
  });

  test('real-looking URLs from imgproxy URL builders', () => {
    assert.deepEqual(
      options(`/rs:fill:300:200:1/g:sm/q:80/plain/assets/${ID}@webp`),
      withDefaults({
        ...resize({ type: 'fill', width: 300, height: 200, enlarge: true }),
        gravity: { type: 'sm', x: 0, y: 0 },
        quality: 80,
        format: 'webp',
      }),
    );
    assert.deepEqual(
      options(`/resize:fill-down:1280:720:0:1/gravity:noea:10:0.1/sharpen:0.5/plain/assets/${ID}@avif`),
      withDefaults({
        ...resize({ type: 'fill-down', width: 1280, height: 720, enlarge: false, extend: true }),
        gravity: { type: 'noea', x: 10, y: 0.1 },
        sharpen: 0.5,
        format: 'avif',
      }),
    );
    assert.deepEqual(
      options(`/w:400/dpr:2/wm:0.6:re:20:20:0.15/f:png/plain/assets/${ID}`),
      withDefaults({
        ...resize({ width: 400 }),
        dpr: 2,
        watermark: { opacity: 0.6, position: 're', x: 20, y: 20, scale: 0.15 },
        format: 'png',
      }),
    );
    assert.deepEqual(
      options(`/rs:force:0:480/g:fp:0.3:0.6/bl:10/q:55/ext:jpg/plain/assets/${ID}`),
      withDefaults({
        ...resize({ type: 'force', height: 480 }),
        gravity: { type: 'fp', x: 0.3, y: 0.6 },
        blur: 10,
        quality: 55,
        format: 'jpeg',
      }),
    );
    // imgproxy-node style: every meta-option argument spelled out, empty ones included
    assert.deepEqual(
      options(`/rs:auto:800::1:/s:::0/plain/assets/${ID}`),
      withDefaults(resize({ type: 'auto', width: 800, enlarge: false })),
    );
  });

  test('every option in its long form, short form and aliases means the same', () => {
    const same: Array<[string, string[], Partial<ImageOptions>]> = [
      [
        'resize:fill:10:20:t:f',
        ['rs:fill:10:20:t:f'],
        resize({ type: 'fill', width: 10, height: 20, enlarge: true }),
      ],
      ['size:10:20:1:1', ['s:10:20:1:1'], resize({ width: 10, height: 20, enlarge: true, extend: true })],
      ['resizing_type:auto', ['rt:auto'], resize({ type: 'auto' })],
      ['width:120', ['w:120'], resize({ width: 120 })],
      ['height:90', ['h:90'], resize({ height: 90 })],
      ['enlarge:true', ['el:1', 'el:t', 'el:T', 'el:TRUE', 'el:True'], resize({ enlarge: true })],
      ['extend:1', ['ex:true', 'ex:1:ce', 'ex:1:ce:0:0'], resize({ extend: true })],
      ['gravity:so', ['g:so'], { gravity: { type: 'so', x: 0, y: 0 } }],
      ['blur:3', ['bl:3', 'bl:3.0'], { blur: 3 }],
      ['sharpen:1.5', ['sh:1.5'], { sharpen: 1.5 }],
      [
        'watermark:1:nowe:5:6:0.5',
        ['wm:1:nowe:5:6:0.5', 'wm:1.0:nowe:5:6:.5'],
        { watermark: { opacity: 1, position: 'nowe', x: 5, y: 6, scale: 0.5 } },
      ],
      ['quality:90', ['q:90'], { quality: 90 }],
      ['format:webp', ['f:webp', 'ext:webp'], { format: 'webp' }],
      ['format:jpg', ['f:jpeg', 'ext:jpg'], { format: 'jpeg' }],
      ['dpr:3', ['dpr:3.0'], { dpr: 3 }],
    ];
    for (const [long, shorts, expected] of same) {
      const want = canonical(`/${long}/plain/assets/${ID}`);
      assert.deepEqual(options(`/${long}/plain/assets/${ID}`), withDefaults(expected), long);
      for (const short of shorts) assert.equal(canonical(`/${short}/plain/assets/${ID}`), want, short);
    }
  });

  test('every gravity and watermark position', () => {
    for (const g of ['no', 'so', 'ea', 'we', 'noea', 'nowe', 'soea', 'sowe', 'ce', 'sm'] as const)
      assert.equal(options(`/g:${g}/plain/assets/${ID}`).gravity.type, g);
    for (const p of ['no', 'so', 'ea', 'we', 'noea', 'nowe', 'soea', 'sowe', 'ce', 're'] as const)
      assert.equal(options(`/wm:0.5:${p}/plain/assets/${ID}`).watermark?.position, p);
    assert.deepEqual(options(`/g:fp:0:1/plain/assets/${ID}`).gravity, { type: 'fp', x: 0, y: 1 });
    assert.deepEqual(options(`/g:we:-20/plain/assets/${ID}`).gravity, { type: 'we', x: -20, y: 0 });
  });

  test('every boolean spelling of Go (what imgproxy parses with)', () => {
    for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True'])
      assert.equal(options(`/el:${t}/plain/assets/${ID}`).resize.enlarge, true, t);
    for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False'])
      assert.equal(options(`/el:1/el:${f}/plain/assets/${ID}`).resize.enlarge, false, f);
  });

  test('later options override earlier ones; empty arguments keep what is set', () => {
    assert.equal(options(`/w:100/w:200/plain/assets/${ID}`).resize.width, 200);
    assert.deepEqual(options(`/rs:fill:100:100:1/rt:fit/plain/assets/${ID}`).resize, {
      ...DEFAULTS.resize,
      width: 100,
      height: 100,
      enlarge: true,
    });
    assert.deepEqual(options(`/rt:fill/rs::300/plain/assets/${ID}`).resize, {
      ...DEFAULTS.resize,
      type: 'fill',
      width: 300,
    });
    assert.deepEqual(options(`/s:100:50:1/rs:force/plain/assets/${ID}`).resize, {
      type: 'force',
      width: 100,
      height: 50,
      enlarge: true,
      extend: false,
    });
    assert.deepEqual(options(`/wm:0.5:so:3:4/wm:0.8/plain/assets/${ID}`).watermark, {
      opacity: 0.8,
      position: 'so',
      x: 3,
      y: 4,
      scale: 0,
    });
    assert.equal(options(`/wm:0.5:so/wm:0/plain/assets/${ID}`).watermark, null); // opacity 0 = off
    assert.equal(options(`/q:80/q:0/plain/assets/${ID}`).quality, null); // 0 = server default
    assert.equal(options(`/f:png/f:webp/plain/assets/${ID}`).format, 'webp');
    assert.equal(options(`/bl:5/bl:0/plain/assets/${ID}`).blur, 0);
    assert.equal(options(`/dpr:2/dpr:1/plain/assets/${ID}`).dpr, 1);
    // as in imgproxy, a new gravity type without offsets keeps the earlier offsets; `sm` drops them
    assert.deepEqual(options(`/g:no:10:20/g:so/plain/assets/${ID}`).gravity, { type: 'so', x: 10, y: 20 });
    assert.deepEqual(options(`/g:no:10:20/g:sm/plain/assets/${ID}`).gravity, { type: 'sm', x: 0, y: 0 });
    assert.deepEqual(options(`/g:fp:0.1:0.2/g:ce:0:0/plain/assets/${ID}`).gravity, {
      type: 'ce',
      x: 0,
      y: 0,
    });
  });

  test('the @format suffix wins over the format option', () => {
    assert.equal(options(`/f:png/plain/assets/${ID}@webp`).format, 'webp');
    assert.equal(options(`/plain/assets/${ID}@jpg`).format, 'jpeg');
    assert.equal(options(`/plain/assets/${ID}@auto`).format, 'auto');
    assert.equal(options(`/f:avif/plain/assets/${ID}@`).format, 'avif'); // an empty suffix sets nothing
    refusedOptions(`/plain/assets/${ID}@best`, /best/);
    refusedOptions(`/plain/assets/${ID}@gif`, /unsupported format/);
    refusedOptions(`/plain/assets/${ID}@webp@png`, /more than one/);
    refusedOptions(`/f:webp/plain/assets/${ID}@tiff`);
  });

  test('a percent-encoded source is decoded', () => {
    const plain = canonical(`/w:10/plain/assets/${ID}@webp`);
    for (const encoded of [`assets%2F${ID}`, `assets%2f${ID}`, `%61ssets/${ID}`, `assets/%61bc12345xyz`])
      assert.equal(canonical(`/w:10/plain/${encoded}@webp`), plain, encoded);
    refusedOptions(`/plain/assets/${ID}%40webp`, /not an asset id/); // an encoded @ is part of the source
    refusedOptions(`/plain/assets/${ID}%zz`, /percent-encoding/);
    refusedOptions(`/plain/assets/%E0%A4%A`, /percent-encoding/);
  });
});

describe('canonical form', () => {
  test('URLs meaning the same thing share it', () => {
    const groups = [
      [
        `/rs:fill:300:200/q:80/plain/assets/${ID}@webp`,
        `/q:80/resize:fill:300:200:0:0/plain/assets/${ID}@webp`,
        `/rt:fill/w:300/h:200/quality:80/f:webp/plain/assets/${ID}`,
        `/w:1/rs:fill:300:200/q:50/q:80/f:png/plain/assets%2F${ID}@webp`,
        `/rs:fill:300:200/q:80/wm:0:so/bl:0/dpr:1/g:ce/plain/assets/${ID}@webp`,
      ],
      [`/w:300/plain/assets/${ID}`, `/rs:fit:300:0/plain/assets/${ID}`, `/s:300/plain/assets/${ID}`],
      [`/f:jpg/plain/assets/${ID}`, `/ext:jpeg/plain/assets/${ID}`, `/plain/assets/${ID}@jpeg`],
      [`/plain/assets/${ID}`, `/q:0/plain/assets/${ID}`, `/plain/assets/${ID}@`],
    ];
    for (const group of groups) {
      const first = canonical(group[0] ?? '');
      for (const path of group) assert.equal(canonical(path), first, path);
    }
  });

  test('URLs meaning different things do not', () => {
    const paths = [
      `/plain/assets/${ID}`,
      `/plain/assets/other12345`,
      `/w:300/plain/assets/${ID}`,
      `/w:301/plain/assets/${ID}`,
      `/h:300/plain/assets/${ID}`,
      `/rs:fill:300/plain/assets/${ID}`,
      `/w:300/el:1/plain/assets/${ID}`,
      `/w:300/ex:1/plain/assets/${ID}`,
      `/g:sm/plain/assets/${ID}`,
      `/g:fp:0.5:0.5/plain/assets/${ID}`,
      `/bl:1/plain/assets/${ID}`,
      `/sh:1/plain/assets/${ID}`,
      `/wm:1/plain/assets/${ID}`,
      `/wm:1:so/plain/assets/${ID}`,
      `/q:80/plain/assets/${ID}`,
      `/plain/assets/${ID}@webp`,
      `/plain/assets/${ID}@auto`,
      `/dpr:2/plain/assets/${ID}`,
    ];
    const seen = new Set(paths.map(canonical));
    assert.equal(seen.size, paths.length);
  });

  test('the request is plain JSON and the canonical string names the asset', () => {
    const req = parse(`/rs:fill:300:200/g:fp:0.5:0.25/wm:0.5:re/plain/assets/${ID}@avif`);
    assert.deepEqual(JSON.parse(JSON.stringify(req)), req);
    assert.ok(req.canonical.includes(ID));
    assert.equal(canonical(`/g:no:-0/plain/assets/${ID}`), canonical(`/g:no:0/plain/assets/${ID}`));
  });
});

describe('refused options', () => {
  test('unknown options are refused by name, including real imgproxy ones we do not support', () => {
    for (const name of ['preset', 'pr', 'crop', 'c', 'padding', 'trim', 'cachebuster', 'raw', 'zoom', 'foo'])
      refusedOptions(`/${name}:1/plain/assets/${ID}`, new RegExp(`"${name}"`));
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'W', 'Width', ''])
      refusedOptions(`/${name}:1/plain/assets/${ID}`, /Unknown or unsupported processing option/);
  });

  test('bad values and ranges are refused, naming the option', () => {
    const bad: Array<[string, RegExp]> = [
      ['w:-1', /"w" \(width\)/],
      ['w:16385', /"w" \(width\)/],
      ['width:1.5', /"width"/],
      ['h:abc', /"h" \(height\)/],
      ['h:0x10', /"h"/],
      ['rs:fill:99999', /"rs" \(resize\)/],
      ['rs:crop:100:100', /resizing type/],
      ['rt:smart', /resizing type/],
      ['s:1:2:3:4:5:6:7:8', /at most 7/],
      ['rs:fit:1:1:0:0:ce:0:0:x', /at most 8/],
      ['el:yes', /not a boolean/],
      ['ex:2', /not a boolean/],
      ['ex:1:no', /extend gravity/],
      ['ex:1:ce:10', /extend gravity/],
      ['q:101', /"q" \(quality\)/],
      ['q:-5', /"q"/],
      ['q:80.5', /"q"/],
      ['q:80:90', /at most 1/],
      ['bl:101', /"bl" \(blur\)/],
      ['bl:-1', /"bl"/],
      ['sh:100.01', /"sh" \(sharpen\)/],
      ['sh:NaN', /"sh"/],
      ['bl:Infinity', /"bl"/],
      ['bl: 1', /"bl"/],
      ['wm:1.5', /"wm" \(watermark\)/],
      ['wm:-0.1', /"wm"/],
      ['wm:0.5:sm', /watermark position/],
      ['wm:0.5:fp', /watermark position/],
      ['wm:0.5:xx', /watermark position/],
      ['wm:0.5:ce:0:0:1.5', /"wm"/],
      ['wm:0.5:ce:99999', /"wm"/],
      ['wm:1:ce:0:0:0.5:x', /at most 5/],
      ['dpr:0.5', /"dpr"/],
      ['dpr:9', /"dpr"/],
      ['dpr:0', /"dpr"/],
      ['f:gif', /unsupported format/],
      ['format:best', /best/],
      ['ext:JPG', /unsupported format/],
      ['g:xx', /unknown gravity/],
      ['g:sm:1', /smart gravity/],
      ['g:fp:0.5', /focus point/],
      ['g:fp::0.5', /focus point/],
      ['g:fp:1.5:0.5', /"g" \(gravity\)/],
      ['g:fp:0.5:-0.1', /"g"/],
      ['g:no:1:2:3', /at most 3/],
      ['g:no:1e9', /"g"/],
    ];
    for (const [option, message] of bad) refusedOptions(`/${option}/plain/assets/${ID}`, message);
  });

  test('long attacker input is not echoed in full', () => {
    const long = 'x'.repeat(5000);
    assert.throws(
      () => parse(`/${long}:1/plain/assets/${ID}`),
      (e: unknown) => e instanceof ImgproxyUrlError && e.message.length < 200,
    );
  });
});

describe('refused sources', () => {
  test('anything but our own assets is refused: we never fetch URLs', () => {
    const foreign = [
      'plain/http://example.com/images/curiosity.jpg',
      'plain/https://example.com/a.png@webp',
      'plain/http%3A%2F%2Fexample.com%2Fa.png',
      'plain/s3://bucket/assets/abc12345',
      'plain/local:///assets/abc12345',
      'plain/gs://bucket/a.png',
      'plain/file:///etc/passwd',
    ];
    for (const source of foreign) refusedOptions(`/w:100/${source}`, /not fetched/);
  });

  test('base64-encoded and encrypted sources are refused', () => {
    const base64 = Buffer.from('http://example.com/images/curiosity.jpg').toString('base64url');
    refusedOptions(`/rs:fill:300:400:0/g:sm/${base64}.png`, /Base64-encoded/);
    refusedOptions(`/rs:fill:300:400:0/${base64.slice(0, 16)}/${base64.slice(16)}.png`, /Base64-encoded/);
    refusedOptions(`/${Buffer.from(`assets/${ID}`).toString('base64url')}`, /Base64-encoded/);
    refusedOptions(`/rs:fit:1:1/enc/jwV3wUD9r4VBIzgv/ang3Hbh0vPpcm5cc.png`, /Encrypted/);
    // imgproxy's deprecated basic format (/fill/300/300/no/1/...) has no option segments at all
    refusedOptions('/fill/300/300/no/1/aHR0cDovL2ltZy5leGFtcGxlLmNvbS9wcmV0dHkvaW1hZ2UuanBn.png');
  });

  test('malformed asset sources are refused', () => {
    const bad = [
      '',
      'plain',
      'plain/',
      'plain/assets',
      'plain/assets/',
      'plain/assets/short',
      'plain/assets/ABC12345XYZ',
      `plain/assets/${'a'.repeat(65)}`,
      `plain/assets/${ID}/extra`,
      `plain/assets/${ID}/../other12345`,
      `plain/assets/../assets/${ID}`,
      `plain//assets/${ID}`,
      `plain/assets/${ID}.jpg`,
      `plain/assets/abc_12345`,
      `plain/assets/abc12345%00`,
      `plain/videos/${ID}`,
      `plain/assets/${ID}/q:80`,
    ];
    for (const source of bad) refusedOptions(`/w:100/${source}`);
  });
});

describe('imgKeysFromHex', () => {
  test('null when neither is configured (imgproxy URLs stay off)', () => {
    assert.equal(imgKeysFromHex(), null);
    assert.equal(imgKeysFromHex('', ''), null);
    assert.equal(imgKeysFromHex(' ', undefined), null);
  });

  test('decodes both, upper- or lower-case', () => {
    const keys = imgKeysFromHex('00FFaa10', ' 0102 ');
    assert.deepEqual(keys, { key: Buffer.from([0, 255, 170, 16]), salt: Buffer.from([1, 2]) });
  });

  test('refuses half a pair, odd or non-hex values without echoing the secret', () => {
    const secret = 'deadbeefcafe1';
    const cases: Array<[string | undefined, string | undefined, RegExp]> = [
      ['aabb', undefined, /only the key is set/],
      [undefined, 'aabb', /only the salt is set/],
      [secret, 'aabb', /key .*odd number of digits/],
      ['aabb', 'abc', /salt .*odd number of digits/],
      ['zzzz', 'aabb', /key .*characters other than/],
      ['aabb', '0x01', /salt .*characters other than/],
      ['aa bb', 'aabb', /key .*characters other than/],
    ];
    for (const [key, salt, message] of cases)
      assert.throws(
        () => imgKeysFromHex(key, salt),
        (e: unknown) => e instanceof Error && message.test(e.message) && !e.message.includes(secret),
      );
  });
});
