import { type LiveStatus, STATUS_LABEL } from './live-stream.ts';

export function LiveStatusBadge({ status }: { status: LiveStatus }) {
  return (
    <span class={`badge live-badge-${status}`} data-status={status}>
      {STATUS_LABEL[status]()}
    </span>
  );
}
