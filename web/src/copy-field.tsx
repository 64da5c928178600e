import { useId, useState } from 'preact/hooks';
import * as m from './i18n/generated/messages.js';

/**
 * A value to copy: shown read-only with a Copy button. `masked`: shown as dots until "Show" is
 * pressed (a stream key on a screen being shared); Copy always copies the real value.
 */
export function CopyField({
  label,
  value,
  multiline,
  masked,
}: {
  label: string;
  value: string;
  multiline?: boolean;
  masked?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  const [shown, setShown] = useState(!masked);
  // Labels are in the reader's language (Hangul is no \w): the id comes from Preact.
  const id = `copy-${useId()}`;
  return (
    <div class={`copy${masked ? ' copy-masked' : ''}`}>
      <label for={id}>{label}</label>
      {multiline ? (
        <textarea id={id} readOnly rows={Math.max(3, Math.min(16, value.split('\n').length))} value={value} />
      ) : (
        <input
          id={id}
          readOnly
          // A password field keeps the key out of sight (and out of screenshots) until asked for.
          type={shown ? 'text' : 'password'}
          value={value}
          data-masked={String(!shown)}
          autoComplete="off"
          spellcheck={false}
        />
      )}
      <span class="copy-actions">
        {masked && (
          <button type="button" class="secondary" onClick={() => setShown(!shown)} aria-controls={id}>
            {shown ? m.app_hide() : m.app_show()}
          </button>
        )}
        <button
          type="button"
          aria-label={m.app_copy_label({ label })}
          onClick={async () => {
            await navigator.clipboard.writeText(value).catch(() => {});
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? m.app_copied() : m.app_copy()}
        </button>
      </span>
    </div>
  );
}
