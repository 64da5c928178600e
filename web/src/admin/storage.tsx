import { Fragment } from 'preact';
import { Link } from 'wouter-preact';
import { formatBytes, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { ErrorLine, Table, useData, when } from './shared.tsx';

interface Tally {
  objects: number;
  bytes: number;
}

interface NextAction {
  action: 'drop-original' | 'move-cold' | 'purge-trash' | 'expire-upload';
  asset_id?: string;
  upload_id?: string;
  key?: string;
  bytes: number;
  due_at: string;
  waiting_on_backup?: boolean;
}

interface Storage {
  measured_at: string;
  classes: Array<Tally & { class: string }>;
  prefixes: Array<Tally & { prefix: string }>;
  trash: { assets: number; bytes: number; waiting_on_backup: number };
  rules: {
    drop_original_days: number | null;
    cold_days: number | null;
    cold_storage_class: string | null;
    cold_storage_url: string | null;
    unfinished_upload_days: number;
    trash_days: number;
    multipart_uploads: 'listed' | 'unsupported' | 'none';
  };
  next: NextAction[];
}

const ACTIONS: Record<NextAction['action'], () => string> = {
  'drop-original': m.admin_storage_action_drop_original,
  'move-cold': m.admin_storage_action_move_cold,
  'purge-trash': m.admin_storage_action_purge_trash,
  'expire-upload': m.admin_storage_action_expire_upload,
};

const days = (n: number) => m.admin_storage_days({ count: n, n: formatNumber(n) });

function ruleLines(r: Storage['rules']): [string, string][] {
  const tier = r.cold_storage_class
    ? m.admin_storage_tier_class({ name: r.cold_storage_class })
    : r.cold_storage_url
      ? m.admin_storage_tier_url({ url: r.cold_storage_url })
      : null;
  return [
    [
      m.admin_storage_rule_originals(),
      r.drop_original_days === null
        ? m.admin_storage_rule_originals_kept()
        : m.admin_storage_rule_originals_removed({ days: days(r.drop_original_days) }),
    ],
    [
      m.admin_storage_rule_cold(),
      r.cold_days === null || !tier
        ? m.admin_storage_rule_none()
        : m.admin_storage_rule_cold_after({ days: days(r.cold_days), tier }),
    ],
    [
      m.admin_storage_rule_uploads(),
      m.admin_storage_rule_uploads_removed({ days: days(r.unfinished_upload_days) }) +
        (r.multipart_uploads === 'unsupported' ? ` ${m.admin_storage_rule_uploads_unlisted()}` : ''),
    ],
    [
      m.admin_storage_rule_trash(),
      r.trash_days === 0
        ? m.admin_storage_rule_trash_none()
        : m.admin_storage_rule_trash_purged({ days: days(r.trash_days) }),
    ],
  ];
}

function target(a: NextAction) {
  if (a.asset_id) return <Link href={`/assets/${a.asset_id}`}>{a.asset_id}</Link>;
  if (a.upload_id) return <>{m.admin_storage_upload({ id: a.upload_id })}</>;
  return <code>{a.key}</code>;
}

/** Where the bytes are, the lifecycle rules in effect and what they do next (measured at most once a minute). */
export function StorageTab() {
  const { data, error } = useData<Storage>('/v1/admin/storage', { everyMs: 60_000 });
  if (!data)
    return error ? <ErrorLine error={error} /> : <p aria-busy="true">{m.admin_storage_measuring()}</p>;
  const total = data.classes.reduce(
    (t, c) => ({ objects: t.objects + c.objects, bytes: t.bytes + c.bytes }),
    {
      objects: 0,
      bytes: 0,
    },
  );
  const now = Date.now();
  return (
    <section aria-labelledby="storage-title">
      <h2 id="storage-title">{m.admin_storage_title()}</h2>
      <ErrorLine error={error} />
      <p>
        {m.admin_storage_summary({
          count: total.objects,
          n: formatNumber(total.objects),
          size: formatBytes(total.bytes),
          when: when(data.measured_at),
        })}
      </p>
      <Table
        caption={m.admin_storage_by_class()}
        headers={[m.admin_storage_col_class(), m.admin_storage_col_objects(), m.admin_storage_col_size()]}
      >
        {data.classes.map((c) => (
          <tr key={c.class}>
            <td>{c.class}</td>
            <td>{formatNumber(c.objects)}</td>
            <td>{formatBytes(c.bytes)}</td>
          </tr>
        ))}
      </Table>
      <Table
        caption={m.admin_storage_by_folder()}
        headers={[m.admin_storage_col_folder(), m.admin_storage_col_objects(), m.admin_storage_col_size()]}
      >
        {data.prefixes.map((p) => (
          <tr key={p.prefix}>
            <td>
              <code>{p.prefix || m.admin_storage_top_level()}</code>
            </td>
            <td>{formatNumber(p.objects)}</td>
            <td>{formatBytes(p.bytes)}</td>
          </tr>
        ))}
      </Table>
      <h3>{m.admin_storage_trash()}</h3>
      <p data-trash={data.trash.assets}>
        {data.trash.assets === 0
          ? m.admin_storage_trash_empty()
          : m.admin_storage_trash_summary({
              count: data.trash.assets,
              n: formatNumber(data.trash.assets),
              size: formatBytes(data.trash.bytes),
            })}
        {data.trash.waiting_on_backup > 0 &&
          ` ${m.admin_storage_trash_waiting({ count: data.trash.waiting_on_backup, n: formatNumber(data.trash.waiting_on_backup) })}`}
      </p>
      <h3>{m.admin_storage_rules()}</h3>
      <dl class="facts-grid">
        {ruleLines(data.rules).map(([name, text]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>{text}</dd>
          </Fragment>
        ))}
      </dl>
      <h3>{m.admin_storage_next()}</h3>
      {data.next.length === 0 ? (
        <p class="empty">{m.admin_storage_next_empty()}</p>
      ) : (
        <Table
          caption={m.admin_storage_next_caption()}
          headers={[
            m.admin_storage_col_when(),
            m.admin_storage_col_action(),
            m.admin_storage_col_of(),
            m.admin_storage_col_size(),
          ]}
        >
          {data.next.map((a) => (
            <tr key={`${a.action}-${a.asset_id ?? a.upload_id ?? a.key}`} data-action={a.action}>
              <td>
                {Date.parse(a.due_at) <= now ? m.admin_storage_due_now() : when(a.due_at)}
                {a.waiting_on_backup ? ` ${m.admin_storage_waits_for_backup()}` : ''}
              </td>
              <td>{ACTIONS[a.action]()}</td>
              <td>{target(a)}</td>
              <td>{formatBytes(a.bytes)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
