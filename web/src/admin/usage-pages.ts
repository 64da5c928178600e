// The usage tab's chunk (loaded by admin-page.tsx when it opens): uPlot, its styles and the page
// never reach the player page or the other admin tabs.
import '../analytics/analytics.css';
import './usage.css';

export { UsageTab } from './usage-tab.tsx';
