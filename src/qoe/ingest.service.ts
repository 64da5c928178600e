import { AppError } from '../shared/errors.ts';
import { parseBeacon } from './beacon.ts';
import type { ClientClassifier } from './client-class.ts';
import { parseCmcdReports } from './cmcd-reports.ts';
import type { ContentLookup } from './content-lookup.ts';
import type { CountryLookup } from './country.ts';
import type { IncomingReport } from './report.ts';
import type { ReportBatch, ReportWriter } from './report-writer.ts';

/** `framehouse_qoe_reports_total{result}` (docs/qoe.md). */
export type ReportResult = 'stored' | 'late' | 'invalid' | 'limited';
export type CountReports = (result: ReportResult, n: number) => void;

/** Who sent a report: looked at to classify the view, then forgotten. */
export interface ReportClient {
  address: string;
  userAgent: string | undefined;
}

/**
 * From a report request to its views: the body parsed (refused whole when a line is bad), the
 * playback ids looked up, the client classified (device, OS, browser, country: the address and
 * User-Agent go no further), and the reports handed to the group-commit writer, which answers
 * once they are stored.
 */
export class QoeIngestService {
  readonly #d: {
    content: ContentLookup;
    clients: ClientClassifier;
    countries: CountryLookup;
    writer: Pick<ReportWriter, 'write'>;
    count: CountReports;
    now: () => number;
  };

  constructor(deps: {
    content: ContentLookup;
    clients: ClientClassifier;
    countries: CountryLookup;
    writer: Pick<ReportWriter, 'write'>;
    count: CountReports;
    now?: () => number;
  }) {
    this.#d = { ...deps, now: deps.now ?? Date.now };
  }

  /** `POST /v1/qoe/cmcd`: CMCD v2 event reports, one a line. */
  async cmcd(body: string, client: ReportClient): Promise<void> {
    const receivedAt = this.#d.now();
    const reports = await this.#parse(() => parseCmcdReports(body, receivedAt), countLines(body));
    await this.#ingest(reports, client, receivedAt);
  }

  /** `POST /v1/qoe/beacon`: the JSON beacon. */
  async beacon(body: string, client: ReportClient): Promise<void> {
    const receivedAt = this.#d.now();
    const report = await this.#parse(async () => parseBeacon(body, receivedAt), 1);
    await this.#ingest([report], client, receivedAt);
  }

  /** A request refused by the per-address limit (its reports are counted, not read). */
  limited(body: string | undefined): void {
    this.#d.count('limited', body === undefined ? 1 : countLines(body));
  }

  async #parse<T>(parse: () => Promise<T>, lines: number): Promise<T> {
    try {
      return await parse();
    } catch (err) {
      if (err instanceof AppError) this.#d.count('invalid', lines);
      throw err;
    }
  }

  async #ingest(reports: IncomingReport[], client: ReportClient, receivedAt: number): Promise<void> {
    const cids = [...new Set(reports.map((r) => r.cid))];
    let contents: Map<string, Awaited<ReturnType<ContentLookup['lookup']>>>;
    try {
      contents = new Map(
        await Promise.all(cids.map(async (cid) => [cid, await this.#d.content.lookup(cid)] as const)),
      );
    } catch (err) {
      if (err instanceof AppError && err.code === 'FH_ERR_QOE_UNKNOWN_CONTENT')
        this.#d.count('invalid', reports.length);
      throw err;
    }
    const [classes, country] = await Promise.all([
      this.#d.clients.classify(client.userAgent),
      this.#d.countries.country(client.address),
    ]);
    const viewer = { ...classes, country };
    // One batch per view (a body may carry reports of several sessions).
    const batches = new Map<string, ReportBatch>();
    for (const { sid, cid, report } of reports) {
      const key = `${sid}\u0000${cid}`;
      let batch = batches.get(key);
      if (!batch) {
        batch = {
          sid,
          content: contents.get(cid) as ReportBatch['content'],
          client: viewer,
          reports: [],
          receivedAt,
        };
        batches.set(key, batch);
      }
      batch.reports.push(report);
    }
    const result = await this.#d.writer.write([...batches.values()]);
    if (result.stored) this.#d.count('stored', result.stored);
    if (result.late) this.#d.count('late', result.late);
    if (result.mismatched) this.#d.count('invalid', result.mismatched);
  }
}

/** Reports in a body, for the counter, without decoding it. */
function countLines(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line.trim() !== '') n++;
  return Math.max(1, n);
}
