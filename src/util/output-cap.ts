/**
 * Bounded capture of command output: the first and the last bytes are kept,
 * the middle is dropped and marked, so a flood of output can neither exhaust
 * memory nor hide how a command ended.
 */

/** Default bytes kept per stream: half from the head, half from the tail. */
export const DEFAULT_OUTPUT_CAP_BYTES = 1024 * 1024;

export class OutputCap {
  readonly #limit: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  // The tail is a list of chunks trimmed from the front once it holds more
  // than its share; total copying stays linear in what is kept.
  readonly #tail: Buffer[] = [];
  #tailBytes = 0;
  #total = 0;

  constructor(limitBytes = DEFAULT_OUTPUT_CAP_BYTES) {
    if (limitBytes < 2) throw new RangeError('OutputCap needs at least 2 bytes');
    this.#limit = limitBytes;
  }

  /** Bytes seen in all, kept or not. */
  get totalBytes(): number {
    return this.#total;
  }

  /** True once something was dropped. */
  get truncated(): boolean {
    return this.#total > this.#limit;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    const headRoom = Math.ceil(this.#limit / 2) - this.#headBytes;
    let rest = chunk;
    if (headRoom > 0) {
      const part = rest.subarray(0, headRoom);
      this.#head.push(part);
      this.#headBytes += part.length;
      rest = rest.subarray(part.length);
    }
    if (rest.length === 0) return;
    const tailLimit = Math.floor(this.#limit / 2);
    if (rest.length >= tailLimit) {
      this.#tail.length = 0;
      this.#tail.push(Buffer.from(rest.subarray(rest.length - tailLimit)));
      this.#tailBytes = tailLimit;
      return;
    }
    this.#tail.push(Buffer.from(rest));
    this.#tailBytes += rest.length;
    while (this.#tailBytes > tailLimit) {
      const first = this.#tail[0] as Buffer;
      const excess = this.#tailBytes - tailLimit;
      if (first.length <= excess) {
        this.#tail.shift();
        this.#tailBytes -= first.length;
      } else {
        this.#tail[0] = first.subarray(excess);
        this.#tailBytes -= excess;
      }
    }
  }

  /** The kept output as text, with a marker where the middle was cut. */
  toString(): string {
    const head = Buffer.concat(this.#head).toString('utf8');
    if (this.#tail.length === 0) return head;
    const tail = Buffer.concat(this.#tail).toString('utf8');
    const cut = this.#total - this.#headBytes - this.#tailBytes;
    if (cut <= 0) return head + tail;
    return `${head}\n[... ${cut} bytes cut by swe-bot ...]\n${tail}`;
  }
}

/** The last `count` lines of a text. */
export function tailLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - count)).join('\n');
}
