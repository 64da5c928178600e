import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatBytes, formatNumber, formatPercent } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

interface QuotaLine {
  quota: 'storage_bytes' | 'encoding_minutes_per_month' | 'live_streams';
  limit: number;
  used: number;
  percent: number;
}

const TITLES: Record<QuotaLine['quota'], () => string> = {
  storage_bytes: m.app_usage_storage,
  encoding_minutes_per_month: m.app_usage_encoding,
  live_streams: m.app_usage_live,
};

const amount = (q: QuotaLine['quota'], n: number) =>
  q === 'storage_bytes'
    ? formatBytes(n)
    : q === 'encoding_minutes_per_month'
      ? m.app_usage_minutes({ minutes: formatNumber(n, { maximumFractionDigits: 1 }) })
      : formatNumber(n);

/**
 * "Usage and quotas" on the settings page: the caller's limits and what they use of each
 * (`GET /v1/usage/quota`), where the quota mails' "See your usage" link leads.
 */
export function UsageQuotas() {
  const [lines, setLines] = useState<QuotaLine[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ data: { quotas: QuotaLine[] } }>('/v1/usage/quota')
      .then((r) => setLines(r.data.quotas))
      .catch((err: Error) => setError(err.message));
  }, []);
  return (
    <section id="usage" class="stack panel" aria-labelledby="usage-title">
      <h2 id="usage-title">{m.app_usage_title()}</h2>
      {error && <p class="error">{error}</p>}
      {lines?.length === 0 && <p>{m.app_usage_none()}</p>}
      {lines?.map((l) => (
        <label key={l.quota}>
          {m.app_usage_line({
            quota: TITLES[l.quota](),
            used: amount(l.quota, l.used),
            limit: amount(l.quota, l.limit),
            percent: formatPercent(l.percent / 100),
          })}
          <progress max={100} value={Math.min(100, l.percent)} />
        </label>
      ))}
    </section>
  );
}
