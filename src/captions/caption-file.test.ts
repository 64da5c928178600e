import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../shared/errors.ts';
import { readCaptions, srtTextToVtt, vttTimestamp, writeWebVtt } from './caption-file.ts';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'));

/** The code and line a malformed file is refused with. */
async function refusal(
  input: string | Buffer,
): Promise<{ code: string; line: number | null; message: string }> {
  try {
    await readCaptions(Buffer.isBuffer(input) ? input : Buffer.from(input));
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    return { code: e.code, line: (e.details as { line: number | null }).line, message: e.message };
  }
  assert.fail('the file was accepted');
}

describe('reading caption files', () => {
  it('turns a Korean SRT with a BOM and CRLF line ends into WebVTT, text intact', async () => {
    const srt = Buffer.concat([
      BOM,
      crlf(
        '1\n00:00:01,000 --> 00:00:03,500\n안녕하세요, 여러분.\n<i>반갑습니다!</i>\n\n' +
          '2\n00:01:02,250 --> 00:01:04,000\n부산 항구에 오신 것을 환영합니다\n',
      ),
    ]);
    const captions = await readCaptions(srt);
    assert.equal(captions.format, 'srt');
    assert.equal(
      writeWebVtt(captions),
      'WEBVTT\n\n' +
        '00:00:01.000 --> 00:00:03.500\n안녕하세요, 여러분.\n<i>반갑습니다!</i>\n\n' +
        '00:01:02.250 --> 00:01:04.000\n부산 항구에 오신 것을 환영합니다\n',
    );
  });

  it('keeps an English WebVTT file: identifiers, cue settings, regions; drops what players ignore', async () => {
    const vtt =
      'WEBVTT - harbour tour\nKind: captions\n\n' +
      'REGION\nid:top\nwidth:40%\nlines:3\nregionanchor:0%,100%\nviewportanchor:10%,90%\nscroll:up\n\n' +
      'STYLE\n::cue { color: yellow }\n\nNOTE written by hand\n\n' +
      'welcome\n00:00:01.000 --> 00:00:02.500 line:10% align:start region:top\n<v Guide>Welcome aboard.</v>\n\n' +
      '00:02.500 --> 00:04.000 position:20%,line-left size:50% align:middle\n[engine starts]\n';
    const captions = await readCaptions(Buffer.from(vtt));
    assert.equal(captions.format, 'vtt');
    assert.equal(
      writeWebVtt(captions),
      'WEBVTT\n\n' +
        'REGION\nid:top\nwidth:40%\nlines:3\nregionanchor:0%,100%\nviewportanchor:10%,90%\nscroll:up\n\n' +
        'welcome\n00:00:01.000 --> 00:00:02.500 line:10% align:start region:top\n<v Guide>Welcome aboard.</v>\n\n' +
        // align:middle is not WebVTT (any more): ignored, as browsers ignore it.
        '00:00:02.500 --> 00:00:04.000 position:20%,line-left size:50%\n[engine starts]\n',
    );
  });

  it('keeps overlapping cues, in order of start time, and reads its own output back alike', async () => {
    const srt =
      '1\n00:00:05,000 --> 00:00:07,000\nThird\n\n' +
      '2\n00:00:01,000 --> 00:00:06,000\nFirst, long\n\n' +
      '3\n00:00:02,000 --> 00:00:03,000\nSecond, over the first\n';
    const captions = await readCaptions(Buffer.from(srt));
    assert.deepEqual(
      captions.cues.map((c) => [c.start, c.end, c.text]),
      [
        [1, 6, 'First, long'],
        [2, 3, 'Second, over the first'],
        [5, 7, 'Third'],
      ],
    );
    const again = await readCaptions(Buffer.from(writeWebVtt(captions)));
    assert.deepEqual(again.cues, captions.cues);
  });

  it('reads CR-only line ends, spaces on "empty" lines, UTF-16 with its BOM, and WebVTT without hours', async () => {
    const cr = await readCaptions(
      Buffer.from('1\r00:00:01,000 --> 00:00:02,000\rOld Mac\r\r2\r00:00:03,000 --> 00:00:04,000\rText\r'),
    );
    assert.equal(cr.cues.length, 2);
    const spaced = await readCaptions(
      Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nA\n   \n2\n00:00:03,000 --> 00:00:04,000\nB\n'),
    );
    assert.deepEqual(
      spaced.cues.map((c) => c.text),
      ['A', 'B'],
    );
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('1\n00:00:01,000 --> 00:00:02,000\n자막\n', 'utf16le'),
    ]);
    assert.equal((await readCaptions(utf16)).cues[0]?.text, '자막');
    const short = await readCaptions(Buffer.from('WEBVTT\n\n01:02.500 --> 01:04.000\nHi\n'));
    assert.deepEqual([short.cues[0]?.start, short.cues[0]?.end], [62.5, 64]);
  });

  it('makes SRT markup WebVTT can show: i/b/u kept, font tags and ASS codes gone, < and & escaped', () => {
    assert.equal(
      srtTextToVtt('{\\an8}<font color="#ff0">Tom & Jerry</font> <b>say</b> 1 < 2 &amp; -->'),
      'Tom &amp; Jerry <b>say</b> 1 &lt; 2 &amp; --&gt;',
    );
    assert.equal(vttTimestamp(3723.4567), '01:02:03.457');
  });

  it('drops cues of zero length (they never show) but keeps the rest', async () => {
    const captions = await readCaptions(
      Buffer.from('1\n00:00:01,000 --> 00:00:01,000\nNever\n\n2\n00:00:02,000 --> 00:00:03,000\nShown\n'),
    );
    assert.deepEqual(
      captions.cues.map((c) => c.text),
      ['Shown'],
    );
  });
});

describe('malformed caption files are refused with FH_ERR_CAPTIONS_INVALID and the line', () => {
  const cases: [string, string | Buffer, number | null, RegExp][] = [
    [
      'an SRT timestamp that is not one',
      '1\n00:00:01,000 --> 00:00:02,000\nOk\n\n2\n00:00:03,000 --> 00:00:0X,000\nBad\n',
      6,
      /00:00:0X,000/,
    ],
    [
      'a WebVTT timestamp with a comma',
      'WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nHi\n',
      3,
      /not a valid cue timing/,
    ],
    [
      'a cue that ends before it starts',
      crlf('1\n00:00:05,000 --> 00:00:01,000\nBackwards\n'),
      2,
      /ends before it starts/,
    ],
    [
      'two cues without an empty line between them',
      '1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 --> 00:00:04,000\nTwo\n',
      5,
      /without an empty line/,
    ],
    [
      'a block that is not a cue',
      '1\n00:00:01,000 --> 00:00:02,000\nOne\n\nTHE END\n',
      5,
      /does not start a cue/,
    ],
    ['text that is no caption file at all', 'Meeting notes\nBring snacks.\n', 1, /does not start a cue/],
    [
      'a WebVTT file whose text has an empty line (its second half is no cue)',
      'WEBVTT\n\n00:01.000 --> 00:02.000\nOne\n\nhalf\nof it\n',
      6,
      /does not start a cue/,
    ],
    // 안녕 in CP949, as Korean subtitles are often saved: not UTF-8.
    [
      'Korean text in CP949',
      Buffer.concat([
        Buffer.from('1\n00:00:01,000 --> 00:00:02,000\n'),
        Buffer.from([0xbe, 0xc8, 0xb3, 0xe7, 0x0a]),
      ]),
      3,
      /not UTF-8/,
    ],
    ['an empty file', '', null, /no cues/],
    ['a WebVTT header and nothing else', 'WEBVTT\n\nNOTE nothing here\n', null, /no cues/],
  ];
  for (const [what, input, line, message] of cases) {
    it(what, async () => {
      const r = await refusal(input);
      assert.equal(r.code, 'FH_ERR_CAPTIONS_INVALID');
      assert.equal(r.line, line);
      assert.match(r.message, message);
      if (line !== null) assert.match(r.message, new RegExp(`line ${line}\\b`, 'i'));
    });
  }
});
