import * as m from './i18n/generated/messages.js';

/**
 * Newer / Older over a list the API pages with cursors. The cursors of the pages before this one
 * are kept (the first page's as ''), since a cursor only leads forward.
 */
export function CursorPager(props: {
  cursors: string[];
  cursor: string | undefined;
  next: string | null;
  onChange: (cursors: string[], cursor: string | undefined) => void;
}) {
  const { cursors, cursor, next, onChange } = props;
  if (cursors.length === 0 && !next) return null;
  return (
    <nav class="pager" aria-label={m.app_pages()}>
      <button
        type="button"
        disabled={cursors.length === 0}
        onClick={() => {
          const previous = [...cursors];
          const back = previous.pop();
          onChange(previous, back === '' ? undefined : back);
        }}
      >
        {m.app_newer()}
      </button>
      <button
        type="button"
        disabled={!next}
        onClick={() => onChange([...cursors, cursor ?? ''], next ?? undefined)}
      >
        {m.app_older()}
      </button>
    </nav>
  );
}
