// A static file server over www/dist for the browser tests, on 127.0.0.1 and
// a free port. Like a static host, it serves .wasm as application/wasm (as
// browsers require), can serve the site under a sub-path, and sends the
// headers that the site's `_headers` file asks for.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

/**
 * Serves `root` at `base` (a path ending in `/`); anything outside it is 404.
 * Resolves to `{origin, url, refuse, close()}`: `url` is the site's address,
 * and while `refuse` is true every connection is dropped, as when offline.
 */
export async function serve(root, { base = '/' } = {}) {
  const headers = siteHeaders(root);
  const state = { refuse: false };
  const server = createServer(async (request, response) => {
    if (state.refuse) return request.socket.destroy();
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    if (!path.startsWith(base)) return send(response, 404);
    const site = path.slice(base.length - 1); // the path inside the site, from its `/`
    const file = normalize(join(root, site.endsWith('/') ? `${site}index.html` : site));
    if (!file.startsWith(root + sep)) return send(response, 403);
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers(site) });
      response.end(body);
    } catch {
      send(response, 404);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return Object.assign(state, {
    origin,
    url: origin + base,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  });
}

/**
 * The headers for a path inside the site, from `root/_headers` (Netlify's and
 * Cloudflare Pages' format: a path pattern, `*` matching anything, then its
 * headers indented below it).
 */
function siteHeaders(root) {
  let text = '';
  try {
    text = readFileSync(join(root, '_headers'), 'utf8');
  } catch {
    return () => ({});
  }
  const rules = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const pattern = line.trim().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
      rules.push({ pattern: new RegExp(`^${pattern.join('.*')}$`), headers: {} });
    } else {
      const colon = line.indexOf(':');
      rules.at(-1).headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return (path) => Object.assign({}, ...rules.filter((r) => r.pattern.test(path)).map((r) => r.headers));
}

function send(response, status) {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(String(status));
}
