/** One server-sent event: `event` is absent when the stream named none. */
export type SseEvent = { event?: string; data: string };

/**
 * Incremental parser for text/event-stream (WHATWG rules): chunks may split anywhere, lines
 * end in LF, CRLF or CR, several `data:` lines are joined with LF, comment lines (`:`) are
 * ignored, and an event is emitted at a blank line if it carried data. `id` and `retry` are
 * not needed by the gateway and are ignored. An event not terminated by a blank line when the
 * stream ends is never emitted, as the standard says.
 */
export class SseParser {
  private partial = '';
  private pendingCr = false;
  private started = false;
  private eventName: string | undefined;
  private data: string[] = [];

  feed(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    if (text === '') return events;
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (text.startsWith('\ufeff')) i = 1;
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text[i] === '\n') i += 1;
    }
    const lineEnd = /[\r\n]/g;
    while (i < text.length) {
      lineEnd.lastIndex = i;
      const match = lineEnd.exec(text);
      if (match === null) {
        this.partial += text.slice(i);
        break;
      }
      let end = match.index;
      const line = this.partial + text.slice(i, end);
      this.partial = '';
      if (text[end] === '\r') {
        if (end + 1 === text.length) this.pendingCr = true;
        else if (text[end + 1] === '\n') end += 1;
      }
      i = end + 1;
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventName = value;
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const { eventName, data } = this;
    this.eventName = undefined;
    this.data = [];
    if (data.length === 0) return undefined;
    const joined = data.join('\n');
    return eventName ? { event: eventName, data: joined } : { data: joined };
  }
}
