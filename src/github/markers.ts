/**
 * Hidden markers: HTML comments, invisible on GitHub, that let the app find
 * its own earlier output (a status comment, a pull request, a review) and
 * update it instead of posting a second one (design.md §5).
 */

export type MarkerKind = 'status' | 'fix' | 'review' | 'setup' | 'refused' | 'config-error';

/** `<!-- swe-bot:status issue=12 -->` */
export function marker(kind: MarkerKind, fields: Record<string, string | number>): string {
  const attributes = Object.entries(fields)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return `<!-- swe-bot:${kind}${attributes ? ` ${attributes}` : ''} -->`;
}

/** True when `body` holds the marker with at least these fields (other fields may follow). */
export function hasMarker(body: string | null | undefined, kind: MarkerKind, fields: Record<string, string | number> = {}): boolean {
  if (!body) return false;
  for (const match of body.matchAll(/<!-- swe-bot:([a-z-]+)((?: [\w-]+=[^\s>]+)*) -->/g)) {
    if (match[1] !== kind) continue;
    const found = new Map((match[2] ?? '').trim().split(' ').filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]));
    if (Object.entries(fields).every(([key, value]) => found.get(key) === String(value))) return true;
  }
  return false;
}

/** The value of one field of the first marker of `kind` in `body`. */
export function markerField(body: string | null | undefined, kind: MarkerKind, field: string): string | undefined {
  if (!body) return undefined;
  const match = new RegExp(`<!-- swe-bot:${kind}((?: [\\w-]+=[^\\s>]+)*) -->`).exec(body);
  const pair = (match?.[1] ?? '').trim().split(' ').find((entry) => entry.startsWith(`${field}=`));
  return pair?.slice(field.length + 1);
}
