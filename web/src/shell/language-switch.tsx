import * as m from '../i18n/generated/messages.js';
import { isLocale, LANGUAGE_NAMES, locales, useLocale } from '../i18n/locale.ts';

/** The header's language switch: each language by its own name (한국어, English). */
export function LanguageSwitch() {
  const { locale, choose } = useLocale();
  return (
    <select
      class="language-switch"
      aria-label={m.app_language_label()}
      value={locale}
      onChange={(e) => {
        const next = e.currentTarget.value;
        if (isLocale(next)) choose(next);
      }}
    >
      {locales.map((l) => (
        <option key={l} value={l} lang={l}>
          {LANGUAGE_NAMES[l]}
        </option>
      ))}
    </select>
  );
}
