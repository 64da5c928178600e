import { useRef, useState } from 'preact/hooks';

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
      else if (!document.execCommand('copy')) throw new Error('copy refused');
      setCopied('Copied.');
    } catch {
      setCopied('The browser did not allow copying: the text is selected, copy it by hand.');
    }
  };
  return (
    <section class="secret" aria-label={label}>
      <p>
        <strong>Save this now: it is shown only once.</strong> Anyone who has it can use it, and Framehouse
        cannot show it again.
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
        Copy
      </button>
      <span role="status">{copied}</span>
      <button type="button" onClick={onDone}>
        I have saved it, hide it
      </button>
    </section>
  );
}
