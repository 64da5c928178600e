import type { FastifyInstance } from 'fastify';
import { errorSchemaRef } from '../assets/assets.schemas.ts';
import type { OverviewQuery, QoeOverviewService } from './overview.service.ts';
import {
  overviewQuery,
  overviewResponse,
  viewListQuery,
  viewListResponse,
  viewParams,
  viewResponse,
} from './qoe.schemas.ts';
import type { QoeViewsService, ViewListQuery } from './view-reads.service.ts';

const TAGS = ['viewer analytics'];
const errors = { '4xx': errorSchemaRef, '5xx': errorSchemaRef };

/** Reading viewer analytics (docs/qoe.md, "Reading"; `assets:read`). */
export function registerQoeReadRoutes(
  app: FastifyInstance,
  deps: { overview: QoeOverviewService; views: QoeViewsService },
): void {
  app.get(
    '/v1/qoe/overview',
    {
      schema: {
        summary: 'Viewer experience over a time range: totals, series, histograms, breakdowns, worst assets',
        tags: TAGS,
        querystring: overviewQuery,
        response: { 200: overviewResponse, ...errors },
      },
    },
    async (request) => ({ data: await deps.overview.overview(request.query as OverviewQuery) }),
  );
  app.get(
    '/v1/qoe/views',
    {
      schema: {
        summary: 'Views (player sessions), newest first',
        tags: TAGS,
        querystring: viewListQuery,
        response: { 200: viewListResponse, ...errors },
      },
    },
    async (request) => deps.views.list(request.query as ViewListQuery),
  );
  app.get(
    '/v1/qoe/views/:id',
    {
      schema: {
        summary: 'One view, with its timeline and the state intervals the chart draws',
        tags: TAGS,
        params: viewParams,
        response: { 200: viewResponse, ...errors },
      },
    },
    async (request) => ({ data: await deps.views.get((request.params as { id: string }).id) }),
  );
}
