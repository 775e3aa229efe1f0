/**
 * A test log made of labelled sections: a command that runs several test
 * runs one after the other (one per package of a monorepo) prints a marker
 * line before each, naming the section and the log parser that reads it, so
 * that the reader can tell the runs apart. The writer (the test command's
 * author) and the reader (the log parser) share this one spelling.
 *
 * A marker is a line of its own: `>>>>> Section <parser> <label>`. The label
 * is the rest of the line (a folder may hold spaces); a parser name holds
 * none. The `>>>>>` prefix matches the harness's other markers, which no test
 * runner prints.
 */

const MARKER_PREFIX = '>>>>> Section ';
const MARKER = /^>>>>> Section (\S+) (.*\S)\s*$/;

export interface LogSection {
  label: string;
  parser: string;
  /** The lines after the marker, up to the next marker or the end. */
  text: string;
}

/** The marker line (without its newline) that opens a section. */
export function sectionMarker(parser: string, label: string): string {
  if (/\s/.test(parser) || parser === '') throw new Error(`a log parser name has no spaces: "${parser}"`);
  if (/[\r\n]/.test(label) || label.trim() === '') throw new Error(`a section label is one line: "${label}"`);
  return `${MARKER_PREFIX}${parser} ${label}`;
}

/** Whether the log holds at least one section marker. */
export function hasSections(log: string): boolean {
  return log.split('\n').some((line) => MARKER.test(line));
}

/**
 * The log's sections in order; what comes before the first marker (the
 * package manager's own lines, say) belongs to none and is left out.
 */
export function splitSections(log: string): LogSection[] {
  const sections: LogSection[] = [];
  let current: { label: string; parser: string; lines: string[] } | undefined;
  for (const line of log.split('\n')) {
    const marker = MARKER.exec(line.replace(/\r$/, ''));
    if (marker) {
      if (current) sections.push({ label: current.label, parser: current.parser, text: current.lines.join('\n') });
      current = { parser: marker[1] ?? '', label: marker[2] ?? '', lines: [] };
      continue;
    }
    current?.lines.push(line);
  }
  if (current) sections.push({ label: current.label, parser: current.parser, text: current.lines.join('\n') });
  return sections;
}
