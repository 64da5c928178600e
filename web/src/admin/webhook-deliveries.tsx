import { api } from '../api.ts';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { amount, ListState, OutcomeLine, Table, useAction, useData, when } from './shared.tsx';

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
    action.run(
      m.admin_deliveries_redeliver_confirm({ type: d.event_type, id: d.event_id, url }),
      async () => {
        await api(`/v1/webhooks/${webhookId}/events/${d.event_id}/redeliver`, { method: 'POST' });
        return m.admin_deliveries_redeliver_done({ type: d.event_type });
      },
    );
  return (
    <div>
      <OutcomeLine value={action.outcome} />
      <ListState data={log.data} error={log.error} empty={m.admin_deliveries_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_deliveries_caption({ count: rows.length, n: formatNumber(rows.length), url })}
            headers={[
              m.admin_deliveries_col_when(),
              m.admin_deliveries_col_event(),
              m.admin_deliveries_col_attempt(),
              m.admin_deliveries_col_result(),
              m.admin_deliveries_col_status(),
              m.admin_deliveries_col_latency(),
              m.admin_deliveries_col_actions(),
            ]}
          >
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{when(d.created_at)}</td>
                <td>
                  {d.event_type}
                  <br />
                  <small>{d.event_id}</small>
                </td>
                <td>{formatNumber(d.attempt)}</td>
                <td>
                  {d.outcome === 'delivered'
                    ? m.admin_deliveries_delivered()
                    : d.error
                      ? m.admin_deliveries_failed_because({ error: d.error })
                      : m.admin_deliveries_failed()}
                </td>
                <td>{d.status_code ?? '—'}</td>
                <td>{d.latency_ms == null ? '—' : amount(d.latency_ms, 'millisecond')}</td>
                <td>
                  <button type="button" disabled={action.busy} onClick={() => redeliver(d)}>
                    {m.admin_deliveries_redeliver()}
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
