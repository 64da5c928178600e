import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
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
          The last broadcast's numbers
        </button>
        {none && <p role="status">This stream has not broadcast yet.</p>}
      </section>
    );
  const reactions = REACTIONS.reduce((n, k) => n + (summary.reactions[k] ?? 0), 0);
  return (
    <section class="panel broadcast-summary" aria-labelledby="summary-heading">
      <h2 id="summary-heading">Last broadcast</h2>
      <p class="muted">
        {new Date(summary.started_at).toLocaleString()}
        {summary.ended_at ? ` – ${new Date(summary.ended_at).toLocaleTimeString()}` : ' (on air)'}
      </p>
      <dl class="facts-grid">
        <dt>Peak viewers</dt>
        <dd data-field="peak">{summary.viewers.peak}</dd>
        <dt>Average viewers</dt>
        <dd data-field="average">{Math.round(summary.viewers.average * 10) / 10}</dd>
        <dt>Messages</dt>
        <dd data-field="messages">{summary.messages}</dd>
        <dt>Reactions</dt>
        <dd data-field="reactions">
          {reactions}{' '}
          {REACTIONS.filter((k) => summary.reactions[k]).map((k) => (
            <span key={k} class="summary-reaction">
              <ReactionIcon kind={k} />
              <span class="visually-hidden">{REACTION_LABEL[k]}</span> {summary.reactions[k]}{' '}
            </span>
          ))}
        </dd>
      </dl>
      {summary.products.length > 0 && (
        <table class="table">
          <caption class="visually-hidden">Clicks per product</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Clicks</th>
            </tr>
          </thead>
          <tbody>
            {summary.products.map((p) => (
              <tr key={p.id}>
                <td>{p.title}</td>
                <td>{p.clicks}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
