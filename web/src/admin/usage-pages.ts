// The usage and quota tabs' chunk (loaded by admin-page.tsx when one of them opens): uPlot, its
// styles and these pages never reach the player page or the other admin tabs.
import '../analytics/analytics.css';
import './usage.css';

export { QuotasTab } from './quotas.tsx';
export { UsageTab } from './usage-tab.tsx';
