import type { Asset } from './api.ts';
import { formatPercent } from './i18n/format.ts';
import * as m from './i18n/generated/messages.js';

/** Functions, not strings: the label is read in the language of the moment. */
export const STATUS_LABEL: Record<Asset['status'], () => string> = {
  waiting: m.app_status_waiting,
  processing: m.app_status_processing,
  ready: m.app_status_ready,
  errored: m.app_status_failed,
};

export function StatusBadge({ asset }: { asset: Asset }) {
  const pct =
    asset.status === 'processing' && asset.progress != null ? ` ${formatPercent(asset.progress, 0)}` : '';
  return (
    <span class={`badge badge-${asset.status}`} data-status={asset.status}>
      {STATUS_LABEL[asset.status]()}
      {pct}
    </span>
  );
}
