/**
 * Untrusted text in a prompt, fenced: between a BEGIN and an END line that
 * carry a random id drawn for this prompt, so text written earlier by
 * someone else cannot close the fence and write on as if it were the
 * prompt. The id cannot be guessed; any occurrence of it in the text (which
 * can only be chance) is replaced anyway, so the END line is the only one.
 */
import { randomBytes } from 'node:crypto';

/** A fresh fence id: 64 random bits, hex. */
export function fenceNonce(): string {
  return randomBytes(8).toString('hex');
}

/** The two lines around untrusted text of kind `what` (e.g. `ISSUE`). */
export function fenceLines(what: string, nonce: string): { begin: string; end: string } {
  return { begin: `=== BEGIN UNTRUSTED ${what} ${nonce} ===`, end: `=== END UNTRUSTED ${what} ${nonce} ===` };
}

/** `text` between the BEGIN and END lines of `what`, with id `nonce` (hex, at least 8 digits). */
export function fenceUntrusted(text: string, what: string, nonce: string = fenceNonce()): string {
  if (!/^[0-9a-f]{8,}$/.test(nonce)) throw new RangeError(`a fence id is hex, at least 8 digits: ${nonce}`);
  // `[` and `]` break every run of hex digits, so no new occurrence forms around the replacement.
  const safe = text.split(nonce).join('[id removed]');
  const { begin, end } = fenceLines(what, nonce);
  return `${begin}\n${safe}\n${end}`;
}
