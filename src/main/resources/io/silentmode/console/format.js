// How numbers and times read on the page.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n) {
  if (n === null || n === undefined) {
    return '—';
  }
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function rate(bytesPerSecond) {
  return bytesPerSecond === null || bytesPerSecond === undefined ? '—' : `${bytes(bytesPerSecond)}/s`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  if (seconds < 60) {
    return `${seconds} s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  }
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function ago(iso, now = Date.now()) {
  if (!iso) {
    return 'never';
  }
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 5) {
    return 'just now';
  }
  return `${duration(seconds < 60 ? seconds : seconds - (seconds % 60)).replace(/ 0 s$/, '')} ago`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** The time alone for today, else the date too. */
export function when(iso) {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString()
    ? date.toLocaleTimeString()
    : date.toLocaleString();
}

export function percent(job) {
  if (job.status === 'completed') {
    return 100;
  }
  return job.size ? Math.floor((job.bytesDone * 100) / job.size) : 0;
}

export function baseName(path) {
  return path ? path.split(/[\\/]/).pop() : null;
}

export const STATUS_WORDS = {
  queued: 'Queued',
  in_progress: 'In progress',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const REASONS = {
  AGENT_DISCONNECTED: 'agent offline',
  AGENT_BUSY: 'agent busy with another pull',
  SERVER_BUSY: 'waiting for a free slot',
  SERVER_RESTARTED: 'server restarted',
  OPERATOR: 'by an operator',
};

export function reason(code) {
  return REASONS[code] || (code ? code.toLowerCase().replace(/_/g, ' ') : '');
}
