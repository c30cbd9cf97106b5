// The console: signs in with a token kept for this tab (sessionStorage), asks /whoami for its role, then shows
// agents and pulls. Lists are polled; each running pull is followed live on its event stream.
import { Api, ApiError } from './api.js';
import { AgentTable } from './agents.js';
import { PullTable, TERMINAL } from './pulls.js';
import { time } from './format.js';

const REFRESH_MS = 5000;
const MAX_STREAMS = 8; // the server allows MAX_EVENT_STREAMS (64) per address; leave room for other tabs

const $ = id => document.getElementById(id);
const api = new Api();
const streams = new Map();
let role = null;
let pulls = null;
let agents = null;
let timer = null;
let generation = 0; // only the latest refresh applies and schedules the next: a click on Refresh, a sign-out
let refreshFailed = false; // the banner shows a failed refresh, which the next good one clears

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', event => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('login-error').textContent = 'Enter the API token first.';
      $('token').focus();
      return;
    }
    api.token = token;
    signIn(true);
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  $('refresh').addEventListener('click', () => refresh());
  $('problem-close').addEventListener('click', () => showProblem(null));
  $('link-close').addEventListener('click', () => {
    $('link-panel').hidden = true;
  });
  $('link-copy').addEventListener('click', () => copy($('link-url').value));
  signIn(false);
});

/** Asks who the token is. A lab server (ALLOW_UNAUTHENTICATED_API) answers without one, so the form is skipped there. */
async function signIn(fromForm) {
  $('login-error').textContent = '';
  try {
    const me = await api.whoami();
    role = me.role;
    start(me);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      api.token = null;
      showLogin(fromForm || $('token').value ? 'That token was not accepted (401 Unauthorized). Check it and try again.' : '');
    } else {
      showLogin(words(e));
    }
  }
}

function showLogin(message) {
  stop();
  $('console').hidden = true;
  $('session').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').focus();
}

function signOut(message) {
  api.token = null;
  $('token').value = '';
  showLogin(message);
}

function start(me) {
  const canAct = role === 'operator' || role === 'admin';
  document.body.dataset.role = role;
  $('login').hidden = true;
  $('console').hidden = false;
  $('session').hidden = false;
  $('role').textContent = me.name ? `${me.name} · ${role}` : role;
  $('sign-out').hidden = !api.token;
  document.querySelectorAll('.operator-only').forEach(node => {
    node.hidden = !canAct;
  });
  agents = new AgentTable($('agents-body'), { canAct, onPull: startPull });
  pulls = new PullTable($('pulls-body'), { canAct, onAction: act });
  refresh();
}

function stop() {
  generation++;
  clearTimeout(timer);
  for (const controller of streams.values()) {
    controller.abort();
  }
  streams.clear();
  pulls = null;
  agents = null;
  $('pulls-body').replaceChildren();
  $('agents-body').replaceChildren();
}

async function refresh() {
  clearTimeout(timer);
  const mine = ++generation;
  try {
    const [clients, downloads] = await Promise.all([api.clients(), api.downloads()]);
    if (mine !== generation) {
      return; // a newer refresh, or a sign-out, came meanwhile
    }
    agents.setAll(clients.items);
    $('agents-empty').hidden = clients.items.length > 0;
    const online = clients.items.filter(a => a.connected).length;
    $('agents-count').textContent = `${online} online · ${clients.items.length} known`;
    pulls.setAll(downloads.items);
    $('pulls-empty').hidden = downloads.items.length > 0;
    unfollowAllBut(pulls.ids());
    downloads.items.forEach(followIfRunning);
    if (refreshFailed) {
      showProblem(null); // the server answers again
    }
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    if (mine !== generation || failedSession(e)) {
      return;
    }
    showProblem(e);
    refreshFailed = true;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

/** Closes the streams of jobs that dropped off the list (older than the 50 newest). */
function unfollowAllBut(listed) {
  for (const [id, controller] of streams) {
    if (!listed.has(id)) {
      controller.abort();
      streams.delete(id);
    }
  }
}

/** Live progress for a running job, on its event stream, while fewer than MAX_STREAMS are open. */
function followIfRunning(job) {
  if (TERMINAL.has(job.status) || streams.has(job.requestId) || streams.size >= MAX_STREAMS) {
    return;
  }
  const controller = new AbortController();
  streams.set(job.requestId, controller);
  api.events(job.requestId, update => pulls && pulls.update(update), controller.signal)
    .catch(e => failedSession(e) || showProblem(e))
    .finally(() => {
      if (streams.get(job.requestId) === controller) {
        streams.delete(job.requestId);
      }
    });
}

async function startPull(clientId, source) {
  await busy(source, async () => {
    const job = await api.startPull(clientId);
    pulls.update(job);
    $('pulls-empty').hidden = true;
    followIfRunning(job);
    toast(`Pull from ${clientId} ${job.status === 'queued' ? 'queued' : 'started'}.`);
  });
}

async function act(job, action, source) {
  await busy(source, async () => {
    if (action === 'download' || action === 'link') {
      const link = await api.act(job.requestId, 'link');
      if (action === 'download') {
        await api.probe(link.url);
        download(link.url, job.fileName);
      } else {
        showLink(job, link);
      }
      return;
    }
    const answer = await api.act(job.requestId, action);
    pulls.update(answer);
    followIfRunning(answer);
    toast(`${job.fileName || 'Pull'} from ${job.clientId}: ${action === 'retry' ? 'retry started' : answer.status.replace('_', ' ')}.`);
  });
}

/**
 * Runs an action once at a time per button; its failure shows in the problem banner. The button is marked
 * aria-disabled rather than disabled, which would take the keyboard focus off it.
 */
async function busy(source, work) {
  if (source.getAttribute('aria-disabled') === 'true') {
    return;
  }
  source.setAttribute('aria-disabled', 'true');
  try {
    showProblem(null);
    await work();
  } catch (e) {
    if (!failedSession(e)) {
      showProblem(e);
    }
  } finally {
    source.removeAttribute('aria-disabled');
  }
}

/** A signed link needs no token, so the browser can fetch it itself and save it as any download. */
function download(url, name) {
  const a = document.createElement('a');
  a.href = url;
  a.download = name || '';
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  toast(`Downloading ${name || 'the file'}.`);
}

function showLink(job, link) {
  $('link-file').textContent = job.fileName || job.requestId;
  $('link-expires').textContent = time(link.expiresAt);
  $('link-expires').setAttribute('datetime', link.expiresAt);
  $('link-url').value = link.url;
  $('link-panel').hidden = false;
  $('link-url').select();
  copy(link.url);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Link copied to the clipboard.');
  } catch (e) {
    $('link-url').focus();
    $('link-url').select();
    toast('Select the link and copy it (the browser did not allow the page to copy it).');
  }
}

/** A 401 while signed in: the token was revoked (or the server's API_TOKEN changed). */
function failedSession(e) {
  if (e instanceof ApiError && e.status === 401) {
    signOut('The server no longer accepts this token (401 Unauthorized). Sign in again.');
    return true;
  }
  return false;
}

function showProblem(e) {
  refreshFailed = false;
  const box = $('problem');
  if (!e) {
    box.hidden = true;
    return;
  }
  const detail = e instanceof ApiError ? sentence(e.detail) : String(e.message || e);
  const title = e instanceof ApiError ? e.title : 'Something went wrong';
  $('problem-title').textContent = detail ? `${title}:` : title;
  $('problem-detail').textContent = detail;
  box.hidden = false;
}

function words(e) {
  return e instanceof ApiError ? `${e.title}${e.detail ? `: ${e.detail}` : ''}` : String(e.message || e);
}

function sentence(text) {
  if (!text) {
    return '';
  }
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

let toastTimer = null;
function toast(text) {
  const node = $('toast');
  node.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.textContent = '';
  }, 4000);
}
