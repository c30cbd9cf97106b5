// The pulls table, newest first. Rows are kept by requestId and updated in place, so that live progress does not
// move the keyboard focus; the action buttons are rebuilt only when the job's status changes what they are.
import { el, cell, button, fill, placeRows } from './dom.js';
import { bytes, duration, percent, rate, reason, time, when, STATUS_WORDS } from './format.js';

const ACTIONS = {
  queued: ['pause', 'cancel'],
  in_progress: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  completed: ['download', 'link'],
  failed: ['retry'],
  cancelled: ['retry'],
};

const LABELS = {
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel',
  retry: 'Retry',
  download: 'Download',
  link: 'Copy link',
};

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export class PullTable {
  constructor(tbody, { canAct, onAction }) {
    this.tbody = tbody;
    this.canAct = canAct;
    this.onAction = onAction;
    this.rows = new Map();
    this.jobs = new Map();
    this.unlisted = new Set(); // started or retried here, and not yet in a list answer
  }

  /**
   * The list as the server returned it (newest first); jobs it no longer lists are dropped, except those this
   * page just started, which a list asked for before they existed does not hold yet.
   */
  setAll(jobs) {
    const listed = new Set(jobs.map(j => j.requestId));
    jobs.forEach(j => this.unlisted.delete(j.requestId));
    const order = [...this.unlisted].reverse().map(id => this.rows.get(id)).concat(jobs.map(job => this.row(this.merge(job))));
    for (const id of [...this.rows.keys()]) {
      if (!listed.has(id) && !this.unlisted.has(id)) {
        this.rows.delete(id);
        this.jobs.delete(id);
      }
    }
    placeRows(this.tbody, order);
  }

  /** The jobs shown. */
  ids() {
    return new Set(this.rows.keys());
  }

  /** One job from an event or an action's answer; a new job goes on top. */
  update(job) {
    const known = this.rows.has(job.requestId);
    const tr = this.row(this.merge(job));
    if (!known) {
      this.unlisted.add(job.requestId);
      this.tbody.prepend(tr);
    }
  }

  /** Keeps the newest view of a job: a list answered before its final event must not bring it back to life. */
  merge(job) {
    const before = this.jobs.get(job.requestId);
    if (before && TERMINAL.has(before.status) && !TERMINAL.has(job.status)) {
      return before;
    }
    const merged = { ...before, ...job };
    this.jobs.set(job.requestId, merged);
    return merged;
  }

  row(job) {
    let tr = this.rows.get(job.requestId);
    if (!tr) {
      tr = el('tr', { dataset: { requestId: job.requestId } },
        cell('File'), cell('Status'), cell('Progress'), cell('Rate'), cell('ETA'), cell('Retries'),
        this.canAct ? cell('Actions') : null);
      this.rows.set(job.requestId, tr);
    }
    tr.dataset.status = job.status;
    const [what, status, progress, speed, eta, retries, actions] = tr.children;
    fill(what, 
      el('span', { class: 'mono strong' }, job.fileName || 'file pending'),
      el('span', { class: 'sub' }, 'from ', el('span', { class: 'mono' }, job.clientId),
        ' · ', el('time', { datetime: job.createdAt, title: time(job.createdAt) }, when(job.createdAt))));
    fill(status, el('span', { class: `badge ${job.status}` }, STATUS_WORDS[job.status] || job.status), detail(job));
    const pct = percent(job);
    const bar = progress.querySelector('progress') || el('progress', { max: 100 });
    bar.value = pct;
    bar.setAttribute('aria-label', `Progress of ${job.fileName || job.requestId}`);
    fill(progress, el('div', { class: 'meter' }, bar, el('span', { class: 'pct' }, `${pct} %`)),
      el('span', { class: 'sub' }, job.size ? `${bytes(job.bytesDone)} of ${bytes(job.size)}` : bytes(job.bytesDone)));
    speed.textContent = TERMINAL.has(job.status) || job.status === 'paused' ? '—' : rate(job.bytesPerSecond);
    eta.textContent = job.status === 'in_progress' ? duration(job.etaSeconds) : '—';
    fill(retries, String(job.retries ?? 0),
      job.resumes ? el('span', { class: 'sub' }, `${job.resumes} resumed`) : null);
    if (actions) {
      this.actions(actions, job);
    }
    return tr;
  }

  actions(td, job) {
    const names = ACTIONS[job.status] || [];
    const key = names.join(',');
    if (td.dataset.key === key) {
      return;
    }
    td.dataset.key = key;
    // Pause becomes Resume and so on: a keyboard user who pressed one lands on the row's new first button.
    const hadFocus = td.contains(document.activeElement);
    const label = job.fileName || job.requestId.slice(0, 8);
    fill(td, el('div', { class: 'actions' }, names.map(name => button(LABELS[name], {
      class: name === 'cancel' ? 'danger small' : 'small',
      'data-action': name,
      'aria-label': `${LABELS[name]} ${label} from ${job.clientId}`,
      onclick: event => this.onAction(this.jobs.get(job.requestId), name, event.currentTarget),
    }))));
    if (hadFocus && td.querySelector('button')) {
      td.querySelector('button').focus();
    }
  }
}

function detail(job) {
  let text = '';
  if (job.status === 'paused') {
    text = reason(job.pausedReason);
  } else if (job.status === 'queued') {
    text = [reason(job.queuedReason), job.queuePosition ? `#${job.queuePosition} in line` : ''].filter(Boolean).join(', ');
  } else if (job.error) {
    text = job.error.message || job.error.code;
  } else if (job.status === 'completed' && job.file) {
    return el('span', { class: 'sub mono', title: `SHA-256 ${job.file.sha256}` }, `sha256 ${job.file.sha256.slice(0, 12)}…`);
  }
  return text ? el('span', { class: 'sub' }, text) : null;
}
