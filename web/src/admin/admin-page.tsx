import type { FunctionComponent } from 'preact';
import { Link } from 'wouter-preact';
import * as m from '../i18n/generated/messages.js';
import { lazy } from '../lazy.tsx';
import { isAdmin, useSession } from '../session.ts';
import { AuditTab } from './audit.tsx';
import { BackupsTab } from './backups.tsx';
import { BatchesTab } from './batches.tsx';
import { JobsTab } from './jobs.tsx';
import { KeysTab } from './keys.tsx';
import { QueuesTab } from './queues.tsx';
import { StorageTab } from './storage.tsx';
import { UsersTab } from './users.tsx';
import { WebhooksTab } from './webhooks.tsx';
import { WorkersTab } from './workers.tsx';

// Usage (its charts bring uPlot) and quotas: chunks of their own, fetched when their tab opens.
const UsageTab = lazy<object>(() => import('./usage-pages.ts').then((mod) => mod.UsageTab));
const QuotasTab = lazy<object>(() => import('./quotas.tsx').then((mod) => mod.QuotasTab));

// Labels are functions: read in the language chosen when the page draws.
const TABS: Array<{ id: string; label: () => string; view: FunctionComponent }> = [
  { id: 'queues', label: m.admin_tab_queues, view: QueuesTab },
  { id: 'jobs', label: m.admin_tab_jobs, view: JobsTab },
  { id: 'workers', label: m.admin_tab_workers, view: WorkersTab },
  { id: 'batches', label: m.admin_tab_batches, view: BatchesTab },
  { id: 'storage', label: m.admin_tab_storage, view: StorageTab },
  { id: 'backups', label: m.admin_tab_backups, view: BackupsTab },
  { id: 'usage', label: m.admin_tab_usage, view: UsageTab },
  { id: 'quotas', label: m.admin_tab_quotas, view: QuotasTab },
  { id: 'users', label: m.admin_tab_users, view: UsersTab },
  { id: 'keys', label: m.admin_tab_keys, view: KeysTab },
  { id: 'webhooks', label: m.admin_tab_webhooks, view: WebhooksTab },
  { id: 'audit', label: m.admin_tab_audit, view: AuditTab },
];

/** The operator's pages, one tab each; the tab is in the address so it can be bookmarked. */
export function AdminPage({ tab }: { tab: string }) {
  const { session } = useSession();
  // The API refuses non-admins anyway; this says so once instead of seven errors.
  if (!isAdmin(session))
    return (
      <section>
        <h1>{m.admin_title()}</h1>
        <p class="error" role="alert">
          {m.admin_only_admins()}
        </p>
      </section>
    );
  const current = TABS.find((t) => t.id === tab);
  const View = current?.view;
  return (
    <section>
      <h1>{m.admin_title()}</h1>
      <nav class="tabs" aria-label={m.admin_tabs_label()}>
        {TABS.map((t) => (
          <Link key={t.id} href={`/admin/${t.id}`} aria-current={t.id === tab ? 'page' : undefined}>
            {t.label()}
          </Link>
        ))}
      </nav>
      {/* Keyed by tab: each tab's polling and forms start afresh and stop when left. */}
      {View ? (
        <View key={tab} />
      ) : (
        <p class="empty">
          {m.admin_no_such_tab({ tab })} <Link href="/admin/queues">{m.admin_go_to_queues()}</Link>
        </p>
      )}
    </section>
  );
}
