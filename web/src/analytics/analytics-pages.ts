// The analytics pages' chunk (loaded by lazy.tsx on /analytics…): uPlot and its styles come with it.
import './analytics.css';

export { AnalyticsPage } from './analytics-page.tsx';
export { ViewPage } from './view-page.tsx';
