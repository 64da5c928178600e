import { useState } from 'preact/hooks';
import * as m from '../i18n/generated/messages.js';
import { browserRefuses, setStatisticsOn, statisticsOn } from './qoe-reporting.ts';

/**
 * The viewer's switch for playback statistics (docs/qoe.md): off stops this view's reports at
 * once; on applies from the next video. With Do-Not-Track or Global Privacy Control the browser
 * has already said no, and the switch only says so.
 */
export function StatisticsToggle() {
  const [on, setOn] = useState(statisticsOn);
  const refused = browserRefuses();
  const state = refused || !on ? 'off' : 'on';
  return (
    <button
      type="button"
      class="stats-toggle"
      aria-pressed={state === 'on'}
      disabled={refused}
      title={refused ? m.player_stats_refused() : m.player_stats_about()}
      onClick={() => {
        setStatisticsOn(!on);
        setOn(!on);
      }}
    >
      {state === 'on' ? m.player_stats_on() : m.player_stats_off()}
    </button>
  );
}
