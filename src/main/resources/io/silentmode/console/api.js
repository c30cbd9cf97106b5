// The REST API at /api/v1, with the tab's token. Every failure becomes an ApiError in plain words, from the
// problem+json body (RFC 9457) the server answers with.
import { follow } from './sse.js';

const BASE = '/api/v1';
const TOKEN_KEY = 'silentmode.token';

export class ApiError extends Error {
  constructor(status, title, detail, code) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
  }
}

export class Api {
  constructor(storage = sessionStorage) {
    this.storage = storage;
  }

  get token() {
    return this.storage.getItem(TOKEN_KEY);
  }

  set token(value) {
    if (value) {
      this.storage.setItem(TOKEN_KEY, value);
    } else {
      this.storage.removeItem(TOKEN_KEY);
    }
  }

  headers(extra = {}) {
    const headers = { Accept: 'application/json', ...extra };
    if (this.token) {
      headers.Authorization = `Bearer ${this.token}`;
    }
    return headers;
  }

  async call(method, path, { body, headers, signal } = {}) {
    let response;
    try {
      response = await fetch(BASE + path, {
        method,
        headers: this.headers(body === undefined ? headers : { 'Content-Type': 'application/json', ...headers }),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        signal,
      });
    } catch (e) {
      if (e.name === 'AbortError') {
        throw e;
      }
      throw new ApiError(0, 'Cannot reach the server', 'check the network connection and that the server runs');
    }
    if (!response.ok) {
      throw await problem(response);
    }
    return response.status === 204 ? null : response.json();
  }

  whoami() {
    return this.call('GET', '/whoami');
  }

  clients() {
    return this.call('GET', '/clients?limit=500');
  }

  downloads() {
    return this.call('GET', '/downloads?limit=50');
  }

  startPull(clientId) {
    return this.call('POST', '/downloads', { body: { clientId }, headers: { 'Idempotency-Key': uuid() } });
  }

  /** {@code action} is cancel, pause, resume, retry or link. */
  act(requestId, action) {
    const id = encodeURIComponent(requestId);
    return action === 'cancel'
      ? this.call('DELETE', `/downloads/${id}`)
      : this.call('POST', `/downloads/${id}/${action}`);
  }

  /**
   * Asks a signed link for its first byte, so that a file gone from the server is an error on the page rather than
   * a failed download in the browser's list. A link to another origin (PUBLIC_URL) is left to the browser.
   */
  async probe(url) {
    if (new URL(url, location.href).origin !== location.origin) {
      return;
    }
    const response = await fetch(url, { headers: { Range: 'bytes=0-0' }, cache: 'no-store' });
    if (!response.ok && response.status !== 416) { // 416: an empty file has no first byte
      throw await problem(response);
    }
    await response.body?.cancel();
  }

  /** Follows the job's event stream until its final event; resolves then, or when {@code signal} aborts. */
  events(requestId, onJob, signal) {
    const url = `${BASE}/downloads/${encodeURIComponent(requestId)}/events`;
    return follow(
      extra => fetch(url, { headers: this.headers({ Accept: 'text/event-stream', ...extra }), cache: 'no-store', signal }),
      event => onJob(JSON.parse(event.data), event.event),
      { signal, failed: problem });
  }
}

/** The problem+json of a failed answer, or what can be said without one (a proxy's HTML error page, say). */
async function problem(response) {
  try {
    const body = await response.json();
    if (body && body.title) {
      return new ApiError(response.status, body.title, body.detail, body.code);
    }
  } catch (e) {
    // not JSON: fall through
  }
  return new ApiError(response.status, `The server answered ${response.status} ${response.statusText}`.trim(), '');
}

/** crypto.randomUUID() exists in secure contexts only; a console served over plain http on a LAN is not one. */
function uuid() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map(x => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
