// The service worker: keeps the page, the converter and the sample in a cache
// once visited, so the page works offline. Files come from the cache first.
// A new build (another BUILD_ID) fills a cache of its own in the background,
// takes over once no tab shows the old build, and then deletes the old cache.
// scripts/build-web.sh stamps the two values below.
const BUILD_ID = 'unstamped';
const FILES = [];

// Several copies of the page can share one origin under different paths (a
// static host's sub-paths): each keeps its own caches, named after its scope.
const PREFIX = `tf-freeze ${self.registration.scope} `;
const CACHE = PREFIX + BUILD_ID;

self.addEventListener('install', (event) => {
  // `reload` skips the HTTP cache, which may still hold the previous build's files.
  const requests = ['./', ...FILES].map((path) => new Request(path, { cache: 'reload' }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(requests)));
});

self.addEventListener('activate', (event) => {
  const stale = (name) => name.startsWith(PREFIX) && name !== CACHE;
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter(stale).map((name) => caches.delete(name))))
      // The first visit is served from the network; take it over so it also works offline.
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !request.url.startsWith(self.registration.scope)) return;
  event.respondWith(fromCache(request));
});

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  // The page's address may carry a query (`?utm=…`): it is still the page.
  const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch (err) {
    // Offline, any address in the scope gets the page rather than the browser's error.
    const page = request.mode === 'navigate' && (await cache.match('./'));
    if (page) return page;
    throw err;
  }
}
