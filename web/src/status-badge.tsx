import type { Asset } from './api.ts';

const LABEL: Record<Asset['status'], string> = {
  waiting: 'Waiting',
  processing: 'Processing',
  ready: 'Ready',
  errored: 'Failed',
};

export function StatusBadge({ asset }: { asset: Asset }) {
  const pct =
    asset.status === 'processing' && asset.progress != null ? ` ${Math.round(asset.progress * 100)}%` : '';
  return (
    <span class={`badge badge-${asset.status}`} data-status={asset.status}>
      {LABEL[asset.status]}
      {pct}
    </span>
  );
}
