// A Server-Sent Events reader over fetch(): EventSource cannot send the Authorization header the API needs.
// Parses the text/event-stream format (WHATWG HTML, "Parsing an event stream") and reconnects with Last-Event-ID
// after a dropped stream, as an EventSource does, until the server sends the job's final event.

const MAX_BUFFER = 1 << 20; // an event is one job as JSON, a few KiB: more than this is not an event stream

/** A stream that is not an event stream: reconnecting would not help. */
export class SseError extends Error {}

/** Splits a stream of text into events {id, event, data}; call push() with each piece, it returns whole events. */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.pending = { data: [] };
    this.lastId = null;
    this.retry = null;
  }

  push(text) {
    this.buffer += text;
    const events = [];
    let end;
    while ((end = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      if (end === this.buffer.length - 1 && this.buffer[end] === '\r') {
        break; // perhaps the first half of a CRLF whose LF is in the next piece: one line end, not two
      }
      const line = this.buffer.slice(0, end);
      const newline = this.buffer.startsWith('\r\n', end) ? 2 : 1;
      this.buffer = this.buffer.slice(end + newline);
      const event = this.line(line);
      if (event) {
        events.push(event);
      }
    }
    if (this.buffer.length > MAX_BUFFER) {
      throw new SseError('the event stream sent a line longer than 1 MiB');
    }
    return events;
  }

  line(line) {
    if (line === '') {
      const { data, event, id } = this.pending;
      this.pending = { data: [] };
      if (id !== undefined) {
        this.lastId = id;
      }
      return data.length ? { id: this.lastId, event: event || 'message', data: data.join('\n') } : null;
    }
    if (line.startsWith(':')) {
      return null; // a comment: the server's keep-alive
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') {
      this.pending.data.push(value);
    } else if (field === 'event') {
      this.pending.event = value;
    } else if (field === 'id') {
      this.pending.id = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) {
      this.retry = Number(value);
    }
    return null;
  }
}

/**
 * Follows {@code url} until an event named {@code last} arrives or {@code signal} aborts. {@code open(headers)}
 * does the fetch (it adds the token); {@code onEvent} gets each parsed event. A failed answer rejects with what
 * {@code failed(response)} makes of it; a dropped connection is retried after the server's retry: delay.
 */
export async function follow(open, onEvent, { last = 'final', signal, failed }) {
  const parser = new SseParser();
  for (;;) {
    const headers = parser.lastId === null ? {} : { 'Last-Event-ID': parser.lastId };
    let response;
    try {
      response = await open(headers);
    } catch (e) {
      if (signal.aborted) {
        return;
      }
      await pause(parser.retry ?? 3000, signal);
      continue;
    }
    if (response.status === 204) {
      return; // the job had already ended and we have its final event
    }
    if (!response.ok) {
      throw await failed(response);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        for (const event of parser.push(value)) {
          onEvent(event);
          if (event.event === last) {
            return;
          }
        }
      }
    } catch (e) {
      if (signal.aborted) {
        return;
      }
      if (e instanceof SseError) {
        throw e;
      }
      // otherwise the connection dropped: reconnect below, from the last event id
    } finally {
      reader.releaseLock();
    }
    await pause(parser.retry ?? 3000, signal);
    if (signal.aborted) {
      return;
    }
  }
}

function pause(ms, signal) {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
