import { splitLinks } from './links.ts';

/** A chat message's text, always as text nodes (never HTML); links only where the room allows them (see links.ts). */
export function ChatText({ text, links }: { text: string; links: boolean }) {
  if (!links) return <>{text}</>;
  return (
    <>
      {splitLinks(text).map((p, i) =>
        'href' in p ? (
          <a key={i} href={p.href} target="_blank" rel="nofollow noopener ugc">
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </>
  );
}
