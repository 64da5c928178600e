import type { FunctionComponent } from 'preact';
import { Link } from 'wouter-preact';
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
const UsageTab = lazy<object>(() => import('./usage-pages.ts').then((m) => m.UsageTab));
const QuotasTab = lazy<object>(() => import('./quotas.tsx').then((m) => m.QuotasTab));

const TABS: Array<{ id: string; label: string; view: FunctionComponent }> = [
  { id: 'queues', label: 'Queues', view: QueuesTab },
  { id: 'jobs', label: 'Jobs', view: JobsTab },
  { id: 'workers', label: 'Workers', view: WorkersTab },
  { id: 'batches', label: 'Image batches', view: BatchesTab },
  { id: 'storage', label: 'Storage', view: StorageTab },
  { id: 'backups', label: 'Backups', view: BackupsTab },
  { id: 'usage', label: 'Usage', view: UsageTab },
  { id: 'quotas', label: 'Quotas', view: QuotasTab },
  { id: 'users', label: 'Users', view: UsersTab },
  { id: 'keys', label: 'API keys', view: KeysTab },
  { id: 'webhooks', label: 'Webhooks', view: WebhooksTab },
  { id: 'audit', label: 'Audit', view: AuditTab },
];

/** The operator's pages, one tab each; the tab is in the address so it can be bookmarked. */
export function AdminPage({ tab }: { tab: string }) {
  const { session } = useSession();
  // The API refuses non-admins anyway; this says so once instead of seven errors.
  if (!isAdmin(session))
    return (
      <section>
        <h1>Admin</h1>
        <p class="error" role="alert">
          Only admins can see these pages. An admin can change your role.
        </p>
      </section>
    );
  const current = TABS.find((t) => t.id === tab);
  const View = current?.view;
  return (
    <section>
      <h1>Admin</h1>
      <nav class="tabs" aria-label="Admin">
        {TABS.map((t) => (
          <Link key={t.id} href={`/admin/${t.id}`} aria-current={t.id === tab ? 'page' : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      {/* Keyed by tab: each tab's polling and forms start afresh and stop when left. */}
      {View ? (
        <View key={tab} />
      ) : (
        <p class="empty">
          There is no "{tab}" tab. <Link href="/admin/queues">Go to the queues</Link>
        </p>
      )}
    </section>
  );
}
