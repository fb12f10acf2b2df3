// The page's side of the workers: numbered calls, progress, a new worker when
// one dies (a panic in the core ends its instance), a pool of helpers for the
// checksums, and Cancel, which ends them all.

/** One worker and its calls waiting for an answer. */
function connect(onDeath) {
  const conn = { worker: new Worker('worker.js', { type: 'module' }), pending: new Map() };
  conn.worker.onmessage = ({ data }) => {
    const call = conn.pending.get(data.id);
    if (!call) return;
    if ('progress' in data) return call.onProgress?.(data.progress);
    conn.pending.delete(data.id);
    if ('error' in data) {
      call.reject(Object.assign(new Error(data.error), { kind: data.kind }));
      if (data.fatal) onDeath(conn, data.error);
    } else {
      call.resolve(data.result);
    }
  };
  conn.worker.onerror = (event) => {
    event.preventDefault();
    onDeath(conn, event.message || 'it could not start');
  };
  return conn;
}

let nextId = 0;

function call(conn, task, data, onProgress) {
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    conn.pending.set(id, { resolve, reject, onProgress });
    conn.worker.postMessage({ id, task, ...data });
  });
}

/** Ends a worker; its waiting calls fail with `error`. Returns how many were waiting. */
function end(conn, error) {
  conn.worker.terminate();
  const waiting = [...conn.pending.values()];
  conn.pending.clear();
  waiting.forEach((c) => c.reject(error));
  return waiting.length;
}

let main = null;
let helpers = [];
let onIdleRestart = () => {};

/** Starts the worker; `onIdleRestart(message)` says when it died with no call waiting. */
export function startWorker(onRestart = onIdleRestart) {
  onIdleRestart = onRestart;
  main = connect(mainDied);
}

function mainDied(conn, reason) {
  const error = new Error(`The converter stopped (${reason}) and was restarted; your files are still here, so try again.`);
  const waiting = end(conn, error);
  startWorker();
  if (waiting === 0) onIdleRestart(error.message);
}

/** Runs `task` in the worker; `onProgress` gets its progress reports. */
export const run = (task, data, onProgress) => call(main, task, data, onProgress);

/**
 * Workers for the checksums, one per core the browser reports (at most 8):
 * the main worker is one of them, the others are started on first use.
 */
export function pool() {
  const size = Math.min(Math.max(navigator.hardwareConcurrency || 2, 1), 8);
  while (helpers.length < size - 1) {
    helpers.push(connect((conn, reason) => end(conn, new Error(`a checksum worker stopped (${reason}); try again`))));
  }
  return [main, ...helpers].map((conn) => (task, data) => call(conn, task, data));
}

/** Stops everything under way: every worker ends, a fresh one takes over. */
export function cancel() {
  const error = Object.assign(new Error('Cancelled'), { kind: 'cancelled' });
  end(main, error);
  helpers.forEach((conn) => end(conn, error));
  helpers = [];
  startWorker();
}

/** A promise's outcome as `{ok}` or `{error}`, for caching. */
export const settle = (promise) =>
  promise.then((ok) => ({ ok }), (err) => ({ error: err.message, kind: err.kind }));
