import { api } from '../api.ts';
import { ListState, OutcomeLine, Table, useAction, useData, when } from './shared.tsx';

interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  outcome: 'delivered' | 'failed';
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  created_at: string;
}

/**
 * One endpoint's delivery log. Polled while open: a redelivery is a queued job, so its attempt
 * shows up a moment after the button says it was accepted.
 */
export function WebhookDeliveries({ webhookId, url }: { webhookId: string; url: string }) {
  const log = useData<Delivery[]>(`/v1/webhooks/${webhookId}/deliveries?limit=50`, { everyMs: 5000 });
  const action = useAction();
  const redeliver = (d: Delivery) =>
    action.run(`Send the ${d.event_type} event ${d.event_id} to ${url} again?`, async () => {
      await api(`/v1/webhooks/${webhookId}/events/${d.event_id}/redeliver`, { method: 'POST' });
      return `The ${d.event_type} event is queued for delivery; its attempt will appear below.`;
    });
  return (
    <div>
      <OutcomeLine value={action.outcome} />
      <ListState data={log.data} error={log.error} empty="Nothing has been sent to this endpoint yet.">
        {(rows) => (
          <Table
            caption={`Last ${rows.length} delivery attempts to ${url}, newest first`}
            headers={['When', 'Event', 'Attempt', 'Result', 'Status code', 'Latency', 'Actions']}
          >
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{when(d.created_at)}</td>
                <td>
                  {d.event_type}
                  <br />
                  <small>{d.event_id}</small>
                </td>
                <td>{d.attempt}</td>
                <td>{d.outcome === 'delivered' ? 'Delivered' : `Failed${d.error ? `: ${d.error}` : ''}`}</td>
                <td>{d.status_code ?? '—'}</td>
                <td>{d.latency_ms == null ? '—' : `${d.latency_ms} ms`}</td>
                <td>
                  <button type="button" disabled={action.busy} onClick={() => redeliver(d)}>
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </div>
  );
}
