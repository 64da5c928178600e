import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatBytes } from '../i18n/format.ts';

interface QuotaLine {
  quota: 'storage_bytes' | 'encoding_minutes_per_month' | 'live_streams';
  limit: number;
  used: number;
  percent: number;
}

const TITLES: Record<QuotaLine['quota'], string> = {
  storage_bytes: 'Storage',
  encoding_minutes_per_month: 'Encoding minutes this month (UTC)',
  live_streams: 'Live streams receiving at once',
};

const amount = (q: QuotaLine['quota'], n: number) =>
  q === 'storage_bytes'
    ? formatBytes(n)
    : q === 'encoding_minutes_per_month'
      ? `${Math.round(n * 10) / 10} min`
      : String(n);

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
      <h2 id="usage-title">Usage and quotas</h2>
      {error && <p class="error">{error}</p>}
      {lines?.length === 0 && <p>No quota is set for your account.</p>}
      {lines?.map((l) => (
        <label key={l.quota}>
          {TITLES[l.quota]}: {amount(l.quota, l.used)} of {amount(l.quota, l.limit)} ({l.percent} %)
          <progress max={100} value={Math.min(100, l.percent)} />
        </label>
      ))}
    </section>
  );
}
