// The analytics pages' chunk (loaded by lazy-pages.ts on /analytics…): uPlot and its styles come with it.
import './analytics.css';

export { AnalyticsPage } from './analytics-page.tsx';
export { ViewPage } from './view-page.tsx';
