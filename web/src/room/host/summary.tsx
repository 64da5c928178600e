import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { formatDateTime, formatNumber, formatTime } from '../../i18n/format.ts';
import * as m from '../../i18n/generated/messages.js';
import { ReactionIcon } from '../reaction-icon.tsx';
import { REACTION_LABEL, REACTIONS } from '../types.ts';
import { type BroadcastSummary, streamPath } from './host-types.ts';

/**
 * The last broadcast in numbers: viewers (peak, average), messages, reactions, clicks per product.
 * Loaded by itself when the page knows there was a broadcast (`known`: it saw one end, or the
 * stream has recordings); otherwise on request, as a stream that never broadcast has none (404).
 */
export function Summary({ streamId, version, known }: { streamId: string; version: string; known: boolean }) {
  const [summary, setSummary] = useState<BroadcastSummary | null>(null);
  const [asked, setAsked] = useState(false);
  const [none, setNone] = useState(false);
  useEffect(() => {
    if (!known && !asked) return;
    void api<{ data: BroadcastSummary }>(streamPath(streamId, '/summary'))
      .then((r) => setSummary(r.data))
      .catch(() => setNone(true));
  }, [streamId, version, known, asked]);
  if (!summary)
    return known ? null : (
      <section class="panel broadcast-summary-ask">
        <button type="button" class="secondary" onClick={() => setAsked(true)} disabled={asked}>
          {m.room_summary_ask()}
        </button>
        {none && <p role="status">{m.room_summary_none()}</p>}
      </section>
    );
  const reactions = REACTIONS.reduce((n, k) => n + (summary.reactions[k] ?? 0), 0);
  return (
    <section class="panel broadcast-summary" aria-labelledby="summary-heading">
      <h2 id="summary-heading">{m.room_summary_title()}</h2>
      <p class="muted">
        {formatDateTime(summary.started_at)}
        {summary.ended_at ? ` – ${formatTime(summary.ended_at)}` : ` ${m.room_summary_on_air()}`}
      </p>
      <dl class="facts-grid">
        <dt>{m.room_summary_peak()}</dt>
        <dd data-field="peak">{formatNumber(summary.viewers.peak)}</dd>
        <dt>{m.room_summary_average()}</dt>
        <dd data-field="average">{formatNumber(summary.viewers.average, { maximumFractionDigits: 1 })}</dd>
        <dt>{m.room_summary_messages()}</dt>
        <dd data-field="messages">{formatNumber(summary.messages)}</dd>
        <dt>{m.room_reactions()}</dt>
        <dd data-field="reactions">
          {formatNumber(reactions)}{' '}
          {REACTIONS.filter((k) => summary.reactions[k]).map((k) => (
            <span key={k} class="summary-reaction">
              <ReactionIcon kind={k} />
              <span class="visually-hidden">{REACTION_LABEL[k]()}</span>{' '}
              {formatNumber(summary.reactions[k] ?? 0)}{' '}
            </span>
          ))}
        </dd>
      </dl>
      {summary.products.length > 0 && (
        <table class="table">
          <caption class="visually-hidden">{m.room_summary_clicks_caption()}</caption>
          <thead>
            <tr>
              <th scope="col">{m.room_summary_product()}</th>
              <th scope="col">{m.room_summary_clicks()}</th>
            </tr>
          </thead>
          <tbody>
            {summary.products.map((p) => (
              <tr key={p.id}>
                <td>{p.title}</td>
                <td>{formatNumber(p.clicks)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
