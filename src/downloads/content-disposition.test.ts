import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'content-disposition';
import { attachmentDisposition } from './content-disposition.ts';

/** What a client that reads RFC 8187 saves the file as, and what one that does not saves. */
const saved = (header: string) => {
  const { type, parameters } = parse(header);
  return { type, name: parameters.filename, plain: parse(header, { extended: false }).parameters.filename };
};

describe('attachmentDisposition', () => {
  it('keeps a plain ASCII name as it is, in quotes when it has spaces, with the extension', () => {
    assert.equal(attachmentDisposition('harbour.mp4', null, 'mp4'), 'attachment; filename=harbour.mp4');
    assert.equal(
      attachmentDisposition('Harbour tour', null, 'mp4'),
      'attachment; filename="Harbour tour.mp4"',
    );
    assert.equal(attachmentDisposition('song.M4A', null, 'm4a'), 'attachment; filename=song.m4a');
    assert.equal(attachmentDisposition('clip.mov', null, 'mp4'), 'attachment; filename=clip.mov.mp4');
  });

  it('sends names beyond ASCII as filename* (UTF-8, percent-encoded) with an ASCII fallback', () => {
    const korean = attachmentDisposition('부산 여행', null, 'mp4');
    assert.equal(
      korean,
      `attachment; filename=download.mp4; filename*=UTF-8''%EB%B6%80%EC%82%B0%20%EC%97%AC%ED%96%89.mp4`,
    );
    assert.deepEqual(saved(korean), { type: 'attachment', name: '부산 여행.mp4', plain: 'download.mp4' });
    const french = saved(attachmentDisposition('Été à Nice', null, 'mp4'));
    assert.deepEqual([french.name, french.plain], ['Été à Nice.mp4', 'Ete a Nice.mp4']);
    const mixed = saved(attachmentDisposition('Trip 旅行 100%', null, 'mp4'));
    assert.deepEqual([mixed.name, mixed.plain], ['Trip 旅行 100%.mp4', 'Trip __ 100_.mp4']);
  });

  it('cannot inject a header or a path, nor hide the real extension', () => {
    const injected = attachmentDisposition('a.mp4\r\nSet-Cookie: session=evil\r\n\r\n<html>', null, 'mp4');
    assert.doesNotMatch(injected, /[\r\n]/);
    assert.equal(saved(injected).name, 'a.mp4Set-Cookie: session=evil<html>.mp4');
    const quoted = attachmentDisposition('say "hi"; filename=x.exe\\', null, 'mp4');
    assert.equal(saved(quoted).name, 'say "hi"; filename=x.exe_.mp4', quoted);
    assert.equal(saved(attachmentDisposition('../../etc/passwd', null, 'mp4')).name, '_.._etc_passwd.mp4');
    assert.equal(saved(attachmentDisposition('...hidden', null, 'mp4')).name, 'hidden.mp4');
    // U+202E (right-to-left override) would display "clip\u202E4pm.exe" as "clipexe.mp4".
    assert.equal(saved(attachmentDisposition('clip\u202e4pm.exe', null, 'mp4')).name, 'clip4pm.exe.mp4');
  });

  it('falls back to the title, then to "download", and caps the length', () => {
    assert.equal(saved(attachmentDisposition('', 'Harbour tour', 'mp4')).name, 'Harbour tour.mp4');
    assert.equal(saved(attachmentDisposition(' \r\n ', null, 'm4a')).name, 'download.m4a');
    assert.equal(saved(attachmentDisposition('.mp4', null, 'mp4')).name, 'download.mp4');
    const long = saved(attachmentDisposition('가'.repeat(500), null, 'mp4')).name ?? '';
    assert.equal(long, `${'가'.repeat(150)}.mp4`);
  });
});
