/**
 * Enter pressed to confirm a Hangul (or any IME) composition is not Enter pressed to send:
 * while composing, the browser reports `isComposing` (and key code 229 on the keydown that
 * ends it, in Chromium and Safari). Sending then would drop the syllable still being composed.
 */
export const isImeEnter = (e: KeyboardEvent) => e.isComposing || e.keyCode === 229;

/**
 * For a form's `onKeyDown`: Enter during a composition confirms the syllable and must not
 * submit the form (the browser's implicit submission is that keydown's default action).
 */
export function holdSubmitWhileComposing(e: KeyboardEvent): void {
  if (e.key === 'Enter' && isImeEnter(e)) e.preventDefault();
}
