// Splits the event console's byte stream into lines (chunks can end mid-line
// or mid-UTF-8 sequence) and parses each with the typed schema of
// emulator/src/events.ts. A line that does not parse is reported, not dropped
// silently, and does not stop the lines after it.
import { EventError, parseEvent, type SisEvent } from '../../emulator/src/events.ts';

export interface StreamResult {
  events: SisEvent[];
  /** One entry per line that is not a valid event: the reason and the line. */
  errors: { message: string; line: string }[];
}

/** The longest line kept while waiting for its newline (a runaway line is cut and reported). */
export const MAX_LINE = 1 << 20;

export class EventStream {
  private decoder = new TextDecoder();
  private partial = '';

  push(bytes: Uint8Array): StreamResult {
    return this.take(this.partial + this.decoder.decode(bytes, { stream: true }));
  }

  private take(text: string): StreamResult {
    const out: StreamResult = { events: [], errors: [] };
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE) {
      out.errors.push({ message: `an event line longer than ${MAX_LINE} bytes was cut`, line: this.partial.slice(0, 80) });
      this.partial = '';
    }
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (!line.trim()) continue;
      try {
        out.events.push(parseEvent(line));
      } catch (e) {
        out.errors.push({ message: e instanceof EventError ? e.message : String(e), line: line.slice(0, 200) });
      }
    }
    return out;
  }

  /** Bytes after the last newline, not yet an event. */
  get pending(): string {
    return this.partial;
  }

  /** Starts over (the machine rebooted). */
  reset(): void {
    this.decoder = new TextDecoder();
    this.partial = '';
  }
}
