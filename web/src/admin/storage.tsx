import { Fragment } from 'preact';
import { Link } from 'wouter-preact';
import { formatBytes } from '../i18n/format.ts';
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

const ACTIONS: Record<NextAction['action'], string> = {
  'drop-original': 'Remove the original',
  'move-cold': 'Move to the cold tier',
  'purge-trash': 'Purge from the trash',
  'expire-upload': 'Remove an unfinished upload',
};

const days = (n: number) => (n === 1 ? '1 day' : `${n} days`);

function ruleLines(r: Storage['rules']): [string, string][] {
  const tier = r.cold_storage_class
    ? `the ${r.cold_storage_class} storage class`
    : r.cold_storage_url
      ? `the store ${r.cold_storage_url}`
      : null;
  return [
    [
      'Originals',
      r.drop_original_days === null
        ? 'Kept.'
        : `Removed ${days(r.drop_original_days)} after the ladder is ready (videos and audio).`,
    ],
    [
      'Cold tier',
      r.cold_days === null || !tier
        ? 'None.'
        : `After ${days(r.cold_days)} without a view, objects go to ${tier}; posters and thumbnails stay.`,
    ],
    [
      'Unfinished uploads',
      `Removed ${days(r.unfinished_upload_days)} after they began.${
        r.multipart_uploads === 'unsupported'
          ? ' The bucket cannot list abandoned multipart uploads: set a rule on the bucket itself.'
          : ''
      }`,
    ],
    [
      'Trash',
      r.trash_days === 0
        ? 'None: deleting removes at once.'
        : `Purged ${days(r.trash_days)} after deletion, and after a backup taken since when backups are used.`,
    ],
  ];
}

function target(a: NextAction) {
  if (a.asset_id) return <Link href={`/assets/${a.asset_id}`}>{a.asset_id}</Link>;
  if (a.upload_id) return <>upload {a.upload_id}</>;
  return <code>{a.key}</code>;
}

/** Where the bytes are, the lifecycle rules in effect and what they do next (measured at most once a minute). */
export function StorageTab() {
  const { data, error } = useData<Storage>('/v1/admin/storage', { everyMs: 60_000 });
  if (!data) return error ? <ErrorLine error={error} /> : <p aria-busy="true">Measuring the store…</p>;
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
      <h2 id="storage-title">Storage</h2>
      <ErrorLine error={error} />
      <p>
        {total.objects} objects, {formatBytes(total.bytes)}, measured {when(data.measured_at)}.
      </p>
      <Table caption="By storage class" headers={['Class', 'Objects', 'Size']}>
        {data.classes.map((c) => (
          <tr key={c.class}>
            <td>{c.class}</td>
            <td>{c.objects}</td>
            <td>{formatBytes(c.bytes)}</td>
          </tr>
        ))}
      </Table>
      <Table caption="By folder" headers={['Folder', 'Objects', 'Size']}>
        {data.prefixes.map((p) => (
          <tr key={p.prefix}>
            <td>
              <code>{p.prefix || '(top level)'}</code>
            </td>
            <td>{p.objects}</td>
            <td>{formatBytes(p.bytes)}</td>
          </tr>
        ))}
      </Table>
      <h3>Trash</h3>
      <p data-trash={data.trash.assets}>
        {data.trash.assets === 0
          ? 'The trash is empty.'
          : `${data.trash.assets} asset${data.trash.assets === 1 ? '' : 's'}, ${formatBytes(data.trash.bytes)}.`}
        {data.trash.waiting_on_backup > 0 &&
          ` ${data.trash.waiting_on_backup} could be purged but wait for a backup taken after their deletion.`}
      </p>
      <h3>Rules</h3>
      <dl class="facts-grid">
        {ruleLines(data.rules).map(([name, text]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>{text}</dd>
          </Fragment>
        ))}
      </dl>
      <h3>Next</h3>
      {data.next.length === 0 ? (
        <p class="empty">Nothing is due: no asset, upload or trashed asset the rules apply to.</p>
      ) : (
        <Table caption="What the rules do next, soonest first" headers={['When', 'Action', 'Of', 'Size']}>
          {data.next.map((a) => (
            <tr key={`${a.action}-${a.asset_id ?? a.upload_id ?? a.key}`} data-action={a.action}>
              <td>
                {Date.parse(a.due_at) <= now ? 'Due now' : when(a.due_at)}
                {a.waiting_on_backup ? ' (waits for a backup)' : ''}
              </td>
              <td>{ACTIONS[a.action]}</td>
              <td>{target(a)}</td>
              <td>{formatBytes(a.bytes)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
