import { useRef, useState } from 'preact/hooks';
import * as m from '../i18n/generated/messages.js';

/**
 * A secret the server answers once (an API key, a webhook signing secret). It stays on screen
 * until the person says they saved it: the server keeps only a hash or will never show it again.
 */
export function SecretBox({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>('');
  const copy = async () => {
    input.current?.select();
    try {
      // The Clipboard API needs a secure context; a self-hosted server is often plain http on a LAN.
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(value);
      else if (!document.execCommand('copy')) throw new Error('copy refused'); // i18n-ignore: caught below, never shown
      setCopied(m.admin_secret_copied());
    } catch {
      setCopied(m.admin_secret_copy_refused());
    }
  };
  return (
    <section class="secret" aria-label={label}>
      <p>
        <strong>{m.admin_secret_save_now()}</strong> {m.admin_secret_explain()}
      </p>
      <label>
        {label}
        <input
          ref={input}
          type="text"
          readOnly
          value={value}
          spellcheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
      </label>
      <button type="button" onClick={copy}>
        {m.admin_secret_copy()}
      </button>
      <span role="status">{copied}</span>
      <button type="button" onClick={onDone}>
        {m.admin_secret_saved()}
      </button>
    </section>
  );
}
