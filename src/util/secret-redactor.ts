/**
 * Secrets redacted by value, wherever they turn up: one redactor per process
 * that is told every live secret (`add`) and cleans every output (`redact`):
 * each log line, each text GitHub receives, each trajectory written to disk.
 * Redaction by field name (pino's `redact` paths, src/logger.ts) misses a
 * token quoted inside an error message, a command's output or a model's
 * reply; redaction by value does not care where it is.
 *
 * Besides the value itself, the forms it takes on the way out are matched:
 * - JSON-escaped (a log line is JSON: a PEM's newlines are `\n` there);
 * - URL-encoded (a secret in a query string or a URL's userinfo);
 * - base64 of `x-access-token:<token>`, the `Authorization: Basic` value git
 *   sends for an installation token
 *   (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation#about-authentication-as-a-github-app-installation),
 *   and the base64 of the value wherever it sits in a longer base64 text
 *   (three alignments: the characters that depend only on the value's bytes);
 * - for a PEM (the App's private key), each line of its base64 body too,
 *   since a key is as likely to be quoted a few lines at a time as whole.
 * Values shorter than {@link MIN_SECRET_LENGTH} are ignored: redacting `EMPTY`
 * or `test` everywhere would redact ordinary words, and protect nothing.
 */

/** Shorter values are not secrets worth redacting (and would match ordinary text). */
export const MIN_SECRET_LENGTH = 8;
/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

export interface SecretRedactor {
  /** Registers a live secret (and its encodings); undefined, empty and short values are ignored. Idempotent. */
  add(value: string | undefined): void;
  /** `text` with every registered secret, in any of its known forms, replaced by {@link REDACTED}. */
  redact(text: string): string;
  /** How many forms are matched (for tests and the doctor). */
  readonly size: number;
}

export function createSecretRedactor(): SecretRedactor {
  const forms = new Set<string>();
  let pattern: RegExp | undefined;
  const redactor: SecretRedactor = {
    add(value) {
      if (value === undefined) return;
      const before = forms.size;
      for (const form of formsOf(value)) if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
      if (forms.size !== before) pattern = undefined;
    },
    redact(text) {
      if (forms.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
      // Longest first, so a form that contains another is replaced whole.
      pattern ??= new RegExp([...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
      return text.replace(pattern, REDACTED);
    },
    get size() {
      return forms.size;
    },
  };
  return redactor;
}

/** The value and the forms it takes in outputs (see the module comment). */
function formsOf(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return [];
  const out = new Set<string>();
  for (const piece of new Set([value, trimmed])) {
    out.add(piece);
    out.add(JSON.stringify(piece).slice(1, -1));
    out.add(encodeURIComponent(piece));
    out.add(Buffer.from(`x-access-token:${piece}`).toString('base64'));
    for (const core of base64Cores(piece)) {
      out.add(core);
      out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  // A PEM: each line of its body (already base64: as is, and URL-encoded), and the body without its line breaks.
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(trimmed)) {
    const body = trimmed.split(/\r?\n|\\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('-----'));
    for (const line of body) {
      out.add(line);
      out.add(encodeURIComponent(line));
    }
    out.add(body.join(''));
  }
  return [...out];
}

/**
 * The base64 characters that encode only `value`'s bytes, for each of the
 * three positions it can start at within a longer base64 text: whatever
 * precedes or follows it, those characters are the same.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value);
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Character i holds bits [6i, 6i + 6); the value's bits are [8 offset, 8 (offset + n)).
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    if (end - first >= MIN_SECRET_LENGTH) cores.push(encoded.slice(first, end));
  }
  return cores;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
