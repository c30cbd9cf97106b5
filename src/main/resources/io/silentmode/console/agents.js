// The agents table: one row per agent the server knows, connected or recently seen. Rows are kept by clientId and
// refreshed in place, so a refresh does not take the keyboard focus off a row's button.
import { el, cell, button, fill, placeRows } from './dom.js';
import { ago, baseName, bytes, time } from './format.js';

export class AgentTable {
  constructor(tbody, { canAct, onPull }) {
    this.tbody = tbody;
    this.canAct = canAct;
    this.onPull = onPull;
    this.rows = new Map();
  }

  setAll(agents) {
    const order = agents.map(agent => this.row(agent));
    const keep = new Set(agents.map(a => a.clientId));
    for (const id of [...this.rows.keys()]) {
      if (!keep.has(id)) {
        this.rows.delete(id);
      }
    }
    placeRows(this.tbody, order);
  }

  row(agent) {
    let tr = this.rows.get(agent.clientId);
    if (!tr) {
      tr = el('tr', { dataset: { clientId: agent.clientId } },
        cell('Agent'), cell('Status'), cell('Last seen'), cell('Version'), cell('File'), cell('Labels'),
        this.canAct ? cell('Actions', button('Pull file', {
          class: 'primary small',
          'data-action': 'pull',
          'aria-label': `Pull file from ${agent.clientId}`,
          onclick: event => this.onPull(agent.clientId, event.currentTarget),
        })) : null);
      this.rows.set(agent.clientId, tr);
    }
    tr.dataset.connected = String(agent.connected);
    const pull = tr.querySelector('button[data-action="pull"]');
    if (pull) {
      // An offline agent's pull waits in the queue until it connects (or QUEUE_TIMEOUT).
      pull.className = agent.connected ? 'primary small' : 'small';
      pull.title = agent.connected ? '' : 'The agent is offline: the pull waits until it connects';
    }
    const meta = agent.metadata || {};
    const file = baseName(meta.filePath);
    const size = meta.fileSize;
    const [who, state, seen, version, served, labels] = tr.children;
    fill(who, el('span', { class: 'mono strong' }, agent.clientId),
      agent.remoteAddress ? el('span', { class: 'sub mono' }, agent.remoteAddress) : null);
    // The server node it dials (NODE_NAME), or dialled last: in a cluster, where its pulls run.
    fill(state, el('span', { class: `state ${agent.connected ? 'online' : 'offline'}` }, agent.connected ? 'Online' : 'Offline'),
      agent.node ? el('span', { class: 'sub mono', title: 'server node' }, agent.node) : null);
    fill(seen, el('time', { datetime: agent.lastSeen, title: time(agent.lastSeen) }, ago(agent.lastSeen)));
    fill(version, agent.agentVersion || '—', meta.os ? el('span', { class: 'sub' }, meta.os) : null);
    fill(served, file ? el('span', { class: 'mono', title: meta.filePath }, file) : '—',
      size !== undefined ? el('span', { class: 'sub' }, bytes(size)) : null,
      meta.fileModifiedAt ? el('span', { class: 'sub', title: time(meta.fileModifiedAt) }, `changed ${ago(meta.fileModifiedAt)}`) : null);
    fill(labels, labelList(agent.labels));
    return tr;
  }
}

function labelList(map) {
  const entries = Object.entries(map || {});
  if (!entries.length) {
    return el('span', { class: 'muted' }, 'none');
  }
  return el('ul', { class: 'labels' }, entries.map(([k, v]) => el('li', { class: 'label' }, `${k}=${v}`)));
}
