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

// The board (dispatchers, administrators) is its own app with its own shell.
function shellFor(url) {
  const path = new URL(url).pathname;
  return path === '/board' || path.startsWith('/board/') ? '/board/index.html' : '/index.html';
}

async function networkFirstShell(request) {
  const cached = () => caches.match(shellFor(request.url), { cacheName: CACHE });
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

// Web Push: an alert for a phone in a pocket. The hub sends a small message (kind, incident,
// title, body); the rest is in the app's store. While the app is open and visible it shows
// its own alert, so the worker only passes the message on.
self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (_) {
    message = { title: 'tenfour', body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(showPush(message));
});

async function showPush(message) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const visible = windows.filter((client) => client.visibilityState === 'visible');
  if (visible.length > 0) {
    visible.forEach((client) => client.postMessage({ type: 'tenfour-push', message }));
    return;
  }
  const urgent = message.kind === 'assignment' || message.kind === 'cancelled'
    || message.kind === 'emergency_acknowledged';
  const tag = message.incident_id ? `incident-${message.incident_id}` : (message.kind || 'tenfour');
  await self.registration.showNotification(message.title || 'tenfour', {
    body: message.body || '',
    tag,
    // An update of the same call replaces the older notification, and still alerts.
    renotify: true,
    requireInteraction: message.kind === 'assignment',
    vibrate: urgent ? [400, 150, 400, 150, 400] : [200],
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { incident_id: message.incident_id || null, kind: message.kind || null },
  });
}

// A tap opens the app on the call (or focuses it if it is open).
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const incident = event.notification.data && event.notification.data.incident_id;
  const path = incident ? `/incident/${incident}` : '/';
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if ('focus' in client) {
        await client.focus();
        if ('navigate' in client) await client.navigate(path);
        return;
      }
    }
    await self.clients.openWindow(path);
  })());
});
