import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
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
      return m.admin_webhooks_created({ url: res.data.url });
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
    action.run(m.admin_webhooks_delete_confirm({ url: h.url }), async () => {
      await api(`/v1/webhooks/${h.id}`, { method: 'DELETE' });
      if (open?.id === h.id) setOpen(null);
      hooks.reload();
      return m.admin_webhooks_deleted({ url: h.url });
    });
  const toggle = (name: string, on: boolean) =>
    setEvents((s) => (on ? [...s, name] : s.filter((x) => x !== name)));

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">{m.admin_webhooks_title()}</h2>
      {secret && (
        <SecretBox
          label={m.admin_webhooks_secret_label({ url: secret.url })}
          value={secret.value}
          onDone={() => setSecret(null)}
        />
      )}
      <form onSubmit={create} onKeyDown={holdSubmitWhileComposing}>
        <h3>{m.admin_webhooks_new()}</h3>
        <label>
          {m.admin_webhooks_url()}{' '}
          <input
            type="url"
            required
            value={url}
            placeholder="https://example.com/framehouse" // i18n-ignore: an address, the same in every language
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>{m.admin_webhooks_events()}</legend>
          <label>
            <input type="checkbox" checked={all} onChange={(e) => toggle('*', e.currentTarget.checked)} />{' '}
            {m.admin_webhooks_all_events_later()}
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
          {m.admin_webhooks_add()}
        </button>
      </form>
      <OutcomeLine value={action.outcome} />
      <ListState data={hooks.data} error={hooks.error} empty={m.admin_webhooks_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_webhooks_caption()}
            headers={[
              m.admin_webhooks_col_url(),
              m.admin_webhooks_col_events(),
              m.admin_webhooks_col_status(),
              m.admin_webhooks_col_created(),
              m.admin_webhooks_col_actions(),
            ]}
          >
            {rows.map((h) => (
              <tr key={h.id}>
                <td>{h.url}</td>
                <td>{h.events.includes('*') ? m.admin_webhooks_all_events() : h.events.join(', ')}</td>
                <td>
                  {h.enabled
                    ? m.admin_webhooks_enabled()
                    : h.disabled_reason
                      ? m.admin_webhooks_disabled_because({ reason: h.disabled_reason })
                      : m.admin_webhooks_disabled()}
                </td>
                <td>{when(h.created_at)}</td>
                <td>
                  <button
                    type="button"
                    aria-expanded={open?.id === h.id}
                    onClick={() => setOpen(open?.id === h.id ? null : h)}
                  >
                    {open?.id === h.id ? m.admin_webhooks_hide_deliveries() : m.admin_webhooks_deliveries()}
                  </button>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      patch(
                        h,
                        { enabled: !h.enabled },
                        null,
                        h.enabled
                          ? m.admin_webhooks_now_disabled({ url: h.url })
                          : m.admin_webhooks_now_enabled({ url: h.url }),
                      )
                    }
                  >
                    {h.enabled ? m.admin_webhooks_disable() : m.admin_webhooks_enable()}
                  </button>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      patch(
                        h,
                        { rotate_secret: true },
                        m.admin_webhooks_rotate_confirm({ url: h.url }),
                        m.admin_webhooks_rotated({ url: h.url }),
                      )
                    }
                  >
                    {m.admin_webhooks_rotate()}
                  </button>
                  <button type="button" class="danger" disabled={action.busy} onClick={() => remove(h)}>
                    {m.admin_webhooks_delete()}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      {open && (
        <section aria-labelledby="deliveries-title">
          <h3 id="deliveries-title">{m.admin_webhooks_deliveries_to({ url: open.url })}</h3>
          <WebhookDeliveries webhookId={open.id} url={open.url} />
        </section>
      )}
    </section>
  );
}
