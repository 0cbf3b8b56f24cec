// tenfour service worker: keeps the app shell so the app starts with no network.
// The post-build hook (xtask/post-build.sh) fills in VERSION and PRECACHE for each build.
'use strict';

const VERSION = '__TENFOUR_VERSION__';
const PRECACHE = __TENFOUR_PRECACHE__;
const CACHE = `tenfour-shell-${VERSION}`;
// A navigation waits this long for the network before the cached shell answers: in a
// basement with one bar of signal, a responder must not stare at a blank page.
const NAVIGATION_TIMEOUT_MS = 3000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith('tenfour-shell-') && key !== CACHE)
          .map((key) => caches.delete(key)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // Never touch the API or the live stream: the sync engine owns those.
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;

  if (request.mode === 'navigate') {
    event.respondWith(networkFirstShell(request));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

async function networkFirstShell(request) {
  const cached = () => caches.match('/index.html', { cacheName: CACHE });
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
    if (response.ok) return response;
    return (await cached()) || response;
  } catch (_) {
    const shell = await cached();
    if (shell) return shell;
    return new Response('tenfour is not cached on this device yet: connect once to install it.', {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}

async function cacheFirst(request) {
  const hit = await caches.match(request, { cacheName: CACHE });
  return hit || fetch(request);
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}
