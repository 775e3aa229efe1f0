// ECMA-48 CSI and OSC sequences, and the lone ESC-letter forms.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes terminal colour and cursor escapes, and carriage-return overwrites. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n/g, '\n').replace(/^.*\r(?!$)/gm, '');
}
