/**
 * Whether a string is a branch name git itself would accept, by the rules of
 * `git check-ref-format` (https://git-scm.com/docs/git-check-ref-format) as
 * `--branch` applies them, plus what makes a name dangerous beyond git's
 * rules: a leading `-` (read as an option by any git command it reaches) and
 * the name `HEAD`. For names that come from outside (a webhook payload's
 * `default_branch`), checked before anything uses them.
 */

/** Longer names are refused outright: GitHub's own limit on a ref is 255 bytes. */
export const MAX_REF_NAME_BYTES = 255;

/** Why `name` is not a safe branch name, or undefined when it is one. */
export function branchNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'it is empty or not a string';
  if (Buffer.byteLength(name) > MAX_REF_NAME_BYTES) return `it is longer than ${MAX_REF_NAME_BYTES} bytes`;
  if (name.startsWith('-')) return 'it starts with "-"';
  if (name === '@' || name === 'HEAD') return `it is "${name}"`;
  // Rule 4 and 10: no control characters, DEL, space, ~ ^ : ? * [ or backslash.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return 'it contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{')) return 'it contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it starts or ends with "/" or has an empty component';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return 'a component starts with "."';
    if (component.endsWith('.lock')) return 'a component ends with ".lock"';
  }
  return undefined;
}
