import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

/** What the server says of itself (`GET /v1/instance`). */
export interface Instance {
  open: boolean;
  qoe: boolean;
  /** Days a deleted asset stays in the trash; 0: deleting is for ever. */
  trash_days?: number;
}

let asked: Promise<Instance> | undefined;

/** Asked once a page load: it changes only with the server's configuration. */
export function loadInstance(): Promise<Instance> {
  asked ??= api<{ data: Instance }>('/v1/instance').then(
    (r) => r.data,
    (err: unknown) => {
      asked = undefined;
      throw err;
    },
  );
  return asked;
}

/** The trash period in days (0: no trash), null until the server has said. */
export function useTrashDays(): number | null {
  const [days, setDays] = useState<number | null>(null);
  useEffect(() => {
    void loadInstance().then(
      (i) => setDays(i.trash_days ?? 0),
      () => setDays(0),
    );
  }, []);
  return days;
}
