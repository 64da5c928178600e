import * as m from '../i18n/generated/messages.js';

/**
 * The two settings a stream's create and edit forms share: whether broadcasts are recorded, and
 * how long an encoder may drop out before its broadcast ends (the API takes 0–1800 s).
 */
export function RecordingFields(props: {
  record: boolean;
  onRecord(record: boolean): void;
  reconnect: number;
  onReconnect(seconds: number): void;
  reconnectLabel: string;
}) {
  return (
    <>
      <label class="inline">
        <input
          type="checkbox"
          checked={props.record}
          onChange={(e) => props.onRecord(e.currentTarget.checked)}
        />
        {m.live_record_label()}
      </label>
      <label>
        {props.reconnectLabel}
        <input
          type="number"
          min={0}
          max={1800}
          step={1}
          value={props.reconnect}
          onInput={(e) => props.onReconnect(Number(e.currentTarget.value))}
        />
      </label>
    </>
  );
}
