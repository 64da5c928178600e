import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { LIVE_STREAM_EVENTS } from '../live.ts';
import { SecretBox } from './secret-box.tsx';
import { ListState, OutcomeLine, Table, useAction, useData, when } from './shared.tsx';
import { WebhookDeliveries } from './webhook-deliveries.tsx';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}
type WithSecret = { data: Webhook & { secret: string } };

/** The server accepts any dotted name; these are the ones it sends (src/events/outbox.ts). */
const EVENTS = [
  'asset.created',
  'asset.processing',
  'asset.ready',
  'asset.renditions.ready',
  'asset.updated',
  'asset.errored',
  'asset.deleted',
  'asset.restored',
  'asset.track.ready',
  'asset.track.deleted',
  'upload.completed',
  'job.dead',
  'batch.created',
  'batch.progress',
  'batch.completed',
  'webhook.disabled',
  ...LIVE_STREAM_EVENTS,
  'backup.succeeded',
  'backup.failed',
  'usage.threshold',
];

export function WebhooksTab() {
  const hooks = useData<Webhook[]>('/v1/webhooks');
  const action = useAction();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['asset.ready', 'asset.errored']);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);
  const [open, setOpen] = useState<Webhook | null>(null);
  const all = events.includes('*');

  const create = (e: Event) => {
    e.preventDefault();
    void action.run(null, async () => {
      const res = await api<WithSecret>('/v1/webhooks', {
        method: 'POST',
        json: { url: url.trim(), events: all ? ['*'] : events },
      });
      setSecret({ url: res.data.url, value: res.data.secret });
      setUrl('');
      hooks.reload();
      return `Events will be sent to ${res.data.url}.`;
    });
  };
  const patch = (h: Webhook, body: object, question: string | null, done: string) =>
    action.run(question, async () => {
      const res = await api<{ data: Webhook & { secret?: string } }>(`/v1/webhooks/${h.id}`, {
        method: 'PATCH',
        json: body,
      });
      if (res.data.secret) setSecret({ url: h.url, value: res.data.secret });
      hooks.reload();
      return done;
    });
  const remove = (h: Webhook) =>
    action.run(
      `Delete the endpoint ${h.url}? It stops receiving events, and its delivery log can no longer be viewed.`,
      async () => {
        await api(`/v1/webhooks/${h.id}`, { method: 'DELETE' });
        if (open?.id === h.id) setOpen(null);
        hooks.reload();
        return `${h.url} no longer receives events.`;
      },
    );
  const toggle = (name: string, on: boolean) =>
    setEvents((s) => (on ? [...s, name] : s.filter((x) => x !== name)));

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      {secret && (
        <SecretBox
          label={`Signing secret for ${secret.url}`}
          value={secret.value}
          onDone={() => setSecret(null)}
        />
      )}
      <form onSubmit={create}>
        <h3>New endpoint</h3>
        <label>
          URL{' '}
          <input
            type="url"
            required
            value={url}
            placeholder="https://example.com/framehouse"
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>Events</legend>
          <label>
            <input type="checkbox" checked={all} onChange={(e) => toggle('*', e.currentTarget.checked)} /> All
            events, including ones added later
          </label>
          {EVENTS.map((name) => (
            <label key={name}>
              <input
                type="checkbox"
                disabled={all}
                checked={all || events.includes(name)}
                onChange={(e) => toggle(name, e.currentTarget.checked)}
              />{' '}
              {name}
            </label>
          ))}
        </fieldset>
        {/* A submit button, so Enter in the URL field adds the endpoint as well. */}
        <button type="submit" disabled={action.busy || !url.trim() || events.length === 0}>
          Add endpoint
        </button>
      </form>
      <OutcomeLine value={action.outcome} />
      <ListState
        data={hooks.data}
        error={hooks.error}
        empty="No webhook endpoints: nothing is sent anywhere."
      >
        {(rows) => (
          <Table caption="Webhook endpoints" headers={['URL', 'Events', 'Status', 'Created', 'Actions']}>
            {rows.map((h) => (
              <tr key={h.id}>
                <td>{h.url}</td>
                <td>{h.events.includes('*') ? 'All events' : h.events.join(', ')}</td>
                <td>
                  {h.enabled ? 'Enabled' : `Disabled${h.disabled_reason ? `: ${h.disabled_reason}` : ''}`}
                </td>
                <td>{when(h.created_at)}</td>
                <td>
                  <button
                    type="button"
                    aria-expanded={open?.id === h.id}
                    onClick={() => setOpen(open?.id === h.id ? null : h)}
                  >
                    {open?.id === h.id ? 'Hide deliveries' : 'Deliveries'}
                  </button>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      patch(
                        h,
                        { enabled: !h.enabled },
                        null,
                        `${h.url} is ${h.enabled ? 'disabled' : 'enabled'}.`,
                      )
                    }
                  >
                    {h.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      patch(
                        h,
                        { rotate_secret: true },
                        `Make a new secret for ${h.url}? The old one stops signing at once: the receiver must be updated.`,
                        `${h.url} has a new secret.`,
                      )
                    }
                  >
                    Rotate secret
                  </button>
                  <button type="button" class="danger" disabled={action.busy} onClick={() => remove(h)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      {open && (
        <section aria-labelledby="deliveries-title">
          <h3 id="deliveries-title">Deliveries to {open.url}</h3>
          <WebhookDeliveries webhookId={open.id} url={open.url} />
        </section>
      )}
    </section>
  );
}
