// A new build is deployed while a device is offline with actions waiting. When it comes
// back, the new service worker takes over (new shell cache, old one gone) and every queued
// action is still delivered, once. (The IndexedDB schema upgrade itself is covered by the
// wasm-bindgen store tests, from schema 1 with queued actions.)
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

test('a build deployed while offline takes over without losing queued actions', async ({ browser, playwright }) => {
  // The hub serves a copy of the build that the test can replace.
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'tenfour-dist-'));
  fs.cpSync(process.env.TENFOUR_DIST, dist, { recursive: true });
  const hub = new OwnHub(dist);
  await hub.start();
  const dispatcher = await Dispatcher.signIn(playwright, hub.url);
  const incident = await dispatcher.dispatch('M14', { nature_code: 'FALL', priority: 2, address: '3 Update Street' });

  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL: hub.url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.fill('input[name=username]', 'medic2');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click('[data-unit="M14"]');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const oldCaches = await page.evaluate(() => caches.keys());
  // The assignment is on the device before the network goes.
  await expect(page.getByTestId('new-assignment')).toBeVisible();

  // Offline: acknowledge, en route, a note.
  await context.setOffline(true);
  await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  await page.click(`a[href="/incident/${incident.id}"]`);
  await page.click('[data-status="en_route"]');
  await page.fill('#field-note', 'Queued before the upgrade');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByTestId('pending-count')).toHaveText('3 waiting');

  // Meanwhile a new build is deployed: a new service worker (new version, new cache name).
  const worker = path.join(dist, 'sw.js');
  const source = fs.readFileSync(worker, 'utf8');
  const version = source.match(/const VERSION = '([^']+)'/)[1];
  fs.writeFileSync(worker, source.replace(`const VERSION = '${version}'`, `const VERSION = '${version}-next'`));
  for (const compressed of ['sw.js.br', 'sw.js.gz']) fs.rmSync(path.join(dist, compressed), { force: true });

  // Still offline, the old version keeps working after a reload.
  await page.reload();
  await expect(page.getByTestId('pending-count')).toHaveText('3 waiting');

  // Back online: the new version installs and takes control; the outbox drains.
  await context.setOffline(false);
  await page.reload();
  await page.waitForFunction(async (next) => {
    const keys = await caches.keys();
    return keys.includes(`tenfour-shell-${next}`) && keys.length === 1;
  }, `${version}-next`);
  await expect(page.getByTestId('pending-count')).toHaveCount(0);
  expect(oldCaches).toEqual([`tenfour-shell-${version}`]);

  const events = await dispatcher.fieldEvents('M14');
  expect(events.map((e) => `${e.kind}:${e.status || e.text}`)).toEqual([
    'acknowledge:acknowledged', 'status:en_route', 'field_note:Queued before the upgrade',
  ]);
  expect(errors).toEqual([]);
  await context.close();
  await hub.kill();
});
