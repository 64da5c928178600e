import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import type { Mail } from './mailer.ts';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * Every mail Framehouse sends, in one shape: paragraphs, one link, a footer saying why the
 * reader gets it — as plain text and as HTML saying the same (text for the clients and filters
 * that read only that, HTML for the rest). Values are escaped; nothing in a mail is markup
 * from a user.
 */
export function composeMail(p: {
  to: string;
  subject: string;
  paragraphs: string[];
  link: { url: string; label: string };
  footer: string;
  /** The language the mail is written in (the HTML's lang: fonts, screen readers); English by default. */
  lang?: Locale;
}): Mail {
  const text = `${p.paragraphs.join('\n\n')}\n\n${p.link.label}: ${p.link.url}\n\n-- \n${p.footer}\n`;
  const html = `<!doctype html><html lang="${escapeHtml(p.lang ?? DEFAULT_LOCALE)}"><body style="font-family:sans-serif;line-height:1.5;max-width:40em">
${p.paragraphs.map((para) => `<p>${escapeHtml(para)}</p>`).join('\n')}
<p><a href="${escapeHtml(p.link.url)}">${escapeHtml(p.link.label)}</a></p>
<p style="color:#555;font-size:small">${escapeHtml(p.footer)}</p>
</body></html>`;
  return { to: p.to, subject: p.subject, text, html };
}
