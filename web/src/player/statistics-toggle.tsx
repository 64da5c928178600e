import { useState } from 'preact/hooks';
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
      title={
        refused
          ? 'Your browser asks sites not to track you: no playback statistics are sent.'
          : 'Playback statistics (start-up time, stalls, quality) help the publisher improve delivery. Nothing personal is kept.'
      }
      onClick={() => {
        setStatisticsOn(!on);
        setOn(!on);
      }}
    >
      Statistics {state}
    </button>
  );
}
