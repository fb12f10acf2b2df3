// The page's side of the worker: numbered calls, progress, and a new worker
// when one dies (a panic in the core ends its instance).

let worker = null;
let nextId = 0;
const pending = new Map();
let onIdleRestart = () => {};

/** Starts the worker; `onIdleRestart(message)` says when it died with no call waiting. */
export function startWorker(onRestart = onIdleRestart) {
  onIdleRestart = onRestart;
  worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if ('progress' in data) return call.onProgress?.(data.progress);
    pending.delete(data.id);
    if ('error' in data) {
      call.reject(Object.assign(new Error(data.error), { kind: data.kind }));
      if (data.fatal) restartWorker(data.error);
    } else {
      call.resolve(data.result);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    restartWorker(event.message || 'it could not start');
  };
}

function restartWorker(reason) {
  worker.terminate();
  const waiting = [...pending.values()];
  pending.clear();
  startWorker();
  const error = new Error(`The converter stopped (${reason}) and was restarted; your files are still here, so try again.`);
  waiting.forEach((call) => call.reject(error));
  if (waiting.length === 0) onIdleRestart(error.message);
}

/** Runs `task` in the worker; `onProgress` gets its progress reports. */
export function run(task, data, onProgress) {
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, task, ...data });
  });
}

/** A promise's outcome as `{ok}` or `{error}`, for caching. */
export const settle = (promise) =>
  promise.then((ok) => ({ ok }), (err) => ({ error: err.message, kind: err.kind }));
