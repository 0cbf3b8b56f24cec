// Maps that work offline. After sign-in the phone stores the agency's map pack (the demo's is
// Florence); in a basement with no network the crew opens the call's map and sees streets
// drawn, the call, themselves and how far away it is. A download cut off by a lost signal
// goes on from where it stopped once the network is back, and what is stored is the hub's
// pack byte for byte.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

// A hub of this spec's own with the demo's map pack (Florence): its units are all free.
let hub;
test.beforeAll(async () => {
  hub = new OwnHub(process.env.TENFOUR_DIST, ['--map', process.env.TENFOUR_DEMO_MAP]);
  await hub.start();
});
test.afterAll(async () => { await hub.kill(); });

const phone = { viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true };
// Across the Arno from the call below, about 700 m away.
const here = { latitude: 43.7680, longitude: 11.2500 };

async function shoot(page, name) {
  if (process.env.TENFOUR_SCREENSHOTS) {
    fs.mkdirSync(process.env.TENFOUR_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.TENFOUR_SCREENSHOTS, name) });
  }
}

async function signIn(browser, username, unit, options) {
  const context = await browser.newContext({ baseURL: hub.url, ...phone, ...options });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click(`[data-unit="${unit}"]`);
  return { context, page };
}

/** How many different colours the map's drawn tiles hold: a blank map has one at most. */
function colours(page) {
  return page.evaluate(() => {
    const seen = new Set();
    for (const canvas of document.querySelectorAll('[data-testid=map] canvas')) {
      if (!canvas.width || !canvas.height) continue;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < pixels.length; i += 4 * 97) {
        seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
      }
    }
    return seen.size;
  });
}

/** SHA-256 of the pack as the phone stored it, piece after piece. */
function storedDigest(page) {
  return page.evaluate(async () => {
    const stored = JSON.parse(localStorage.getItem('tenfour.map.stored'));
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle(stored.folder);
    const parts = [];
    for (let i = 0; ; i += 1) {
      let handle;
      try { handle = await folder.getFileHandle(`chunk-${i}`); } catch (_) { break; }
      parts.push(await handle.getFile());
    }
    const bytes = await new Blob(parts).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    return { size: bytes.byteLength, sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('') };
  });
}

async function hubDigest(dispatcher) {
  const response = await dispatcher.request.get('/api/map/pack', { headers: dispatcher.headers });
  expect(response.status()).toBe(200);
  const body = await response.body();
  return { size: body.length, sha256: crypto.createHash('sha256').update(body).digest('hex') };
}

test('with the network off, the call\'s map draws streets, the call and the crew, and says how far', async ({ browser, playwright }) => {
  const dispatcher = await Dispatcher.signIn(playwright, hub.url);
  const call = await dispatcher.dispatch('M14', {
    nature_code: 'FALL', nature_text: 'Fall down the stairs, conscious', priority: 2,
    address: 'Piazza della Signoria 5, Florence', latitude: 43.7696, longitude: 11.2558,
    caller_name: 'Giulia Conti', callback: '+39 055 555 0101', cautions: [], caller_notes: 'Grandmother fell, hip pain.',
  });
  const { context, page } = await signIn(browser, 'medic2', 'M14', {
    permissions: ['geolocation'], geolocation: here, colorScheme: 'dark',
  });
  // The app and its map code are cached, and the pack is stored, before the signal goes.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await expect(page.getByTestId('map-pack')).toContainText('Map stored on this device', { timeout: 30_000 });
  expect(await storedDigest(page)).toEqual(await hubDigest(dispatcher));
  await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  // The crew sees the acknowledgement reach dispatch before the signal goes (a reload within
  // the moment of the tap, before it is saved, would bring the alert back).
  await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');
  await expect(page.getByTestId('new-assignment')).toHaveCount(0);

  await context.setOffline(true);
  await page.goto(`/incident/${call.id}`);
  await page.getByTestId('open-map').click();
  await expect(page).toHaveURL(new RegExp(`/incident/${call.id}/map$`));
  await expect(page.getByRole('heading', { name: 'Fall down the stairs, conscious' })).toBeVisible();
  await page.getByRole('button', { name: 'Turn on location' }).click();
  await expect(page.getByTestId('how-far')).toHaveText(/The call is \d+ m (N|NE|E) of you/);
  // Streets drawn from the stored pack: many colours, not a blank square.
  await expect.poll(() => colours(page), { timeout: 20_000 }).toBeGreaterThan(4);
  await expect(page.locator('.map-label-incident')).toHaveText('Fall down the stairs,…');
  await expect(page.locator('.map-label-me')).toHaveText('You');
  // The view takes in both the call and the crew once the crew's position is known.
  const inside = async (selector) => {
    const [mark, map] = [await page.locator(selector).boundingBox(), await page.getByTestId('map').boundingBox()];
    return mark.x >= map.x && mark.y >= map.y && mark.x <= map.x + map.width && mark.y + mark.height <= map.y + map.height;
  };
  await expect.poll(() => inside('.map-label-me')).toBe(true);
  await expect.poll(() => inside('.map-label-incident')).toBe(true);
  await expect(page.locator('.leaflet-control-attribution')).toContainText('OpenStreetMap');
  await expect(page.getByTestId('map-problem')).toHaveCount(0);
  // The map fits the phone, with room for the zoom buttons a glove can hit.
  const box = await page.getByTestId('map').boundingBox();
  expect(box.width).toBeGreaterThan(300);
  expect(box.height).toBeGreaterThan(250);
  const zoom = await page.locator('.leaflet-control-zoom-in').boundingBox();
  await shoot(page, 'map-phone-offline-night.png');
  expect(zoom.width).toBeGreaterThanOrEqual(44);
  await page.getByTestId('back-to-call').click();
  await expect(page.getByTestId('open-map')).toBeVisible();
  await context.close();
});

test('a map download cut off by a lost signal goes on from where it stopped', async ({ browser, playwright }) => {
  const dispatcher = await Dispatcher.signIn(playwright, hub.url);
  const context = await browser.newContext({ baseURL: hub.url, ...phone });
  const page = await context.newPage();
  const starts = [];
  let cut = true;
  await context.route('**/api/map/pack', async (route) => {
    const range = route.request().headers().range || '';
    const start = Number((/bytes=(\d+)-/.exec(range) || [])[1]);
    starts.push(start);
    // The third piece never arrives: the signal goes while it downloads.
    if (cut && starts.length === 3) {
      cut = false;
      await context.setOffline(true);
      await route.abort('internetdisconnected');
      return;
    }
    await route.continue();
  });
  await page.goto('/');
  await page.fill('input[name=username]', 'fire1');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click('[data-unit="E3"]');
  const status = page.getByTestId('map-pack');
  await expect(status).toContainText(/Map download paused at \d+% of 3\.\d MB/);
  await expect(status).toContainText('goes on by itself');
  expect(starts).toEqual([0, 524288, 1048576]);

  await context.setOffline(false);
  await expect(status).toContainText('Map stored on this device', { timeout: 30_000 });
  // Each piece once, the cut one again, nothing before it.
  const piece = 524288;
  const size = (await hubDigest(dispatcher)).size;
  const wanted = [0, piece, 2 * piece];
  for (let start = 2 * piece; start < size; start += piece) wanted.push(start);
  expect(starts).toEqual(wanted);
  expect(await storedDigest(page)).toEqual(await hubDigest(dispatcher));
  await context.close();
});

/** A crew's device as the hub sees it: signed in to a unit, pushing outbox entries. */
async function crew(playwright, username, unit) {
  const device = await Dispatcher.signIn(playwright, hub.url, username);
  const chosen = await device.request.put('/api/session/unit', { headers: device.headers, data: { unit } });
  expect(chosen.ok()).toBe(true);
  const clientId = crypto.randomUUID();
  let seq = 0;
  device.at = async (latitude, longitude) => {
    seq += 1;
    const answer = await device.post('/api/sync/push', { entries: [{
      client_id: clientId, seq, id: crypto.randomUUID(), at: Date.now(), kind: 'position',
      payload: { location: { latitude, longitude, accuracy_m: 8 } },
    }] });
    expect(answer.results[0].outcome).toBe('applied');
  };
  return device;
}

test('the board\'s map follows units as their positions arrive, and choosing on it chooses in the lists', async ({ browser, playwright }) => {
  const dispatcher = await Dispatcher.signIn(playwright, hub.url);
  const call = await dispatcher.post('/api/incidents', {
    nature_code: 'FIRE-STRUCT', nature_text: 'Smoke from a shop', priority: 1,
    address: 'Via de\' Calzaiuoli 7, Florence', latitude: 43.7712, longitude: 11.2546,
  });
  const p11 = await crew(playwright, 'officer3', 'P11');
  const e3 = await crew(playwright, 'fire1', 'E3');
  await p11.at(43.7700, 11.2500);
  await e3.at(43.7800, 11.2700);

  const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1280, height: 800 } });
  const board = await context.newPage();
  await board.goto('/');
  await board.fill('input[name=username]', 'dispatch');
  await board.fill('input[name=password]', PASSWORD);
  await board.getByRole('button', { name: 'Sign in' }).click();
  await board.getByTestId('show-map').click();
  await expect(board.getByRole('heading', { name: 'Map' })).toBeVisible();
  await expect.poll(() => colours(board), { timeout: 20_000 }).toBeGreaterThan(4);
  const p11Label = board.locator('.map-label-unit', { hasText: /^P11$/ });
  await expect(p11Label).toBeVisible();
  await expect(board.locator('.map-label-unit', { hasText: /^E3$/ })).toBeVisible();

  // P11 drives 400 m east: its marker moves on the board without a reload.
  const before = await p11Label.boundingBox();
  await p11.at(43.7700, 11.2550);
  await expect.poll(async () => (await p11Label.boundingBox()).x - before.x).toBeGreaterThan(20);

  // Choosing the call on the map opens it beside; choosing a unit in the table rings it.
  await board.locator('.map-label-incident', { hasText: 'Smoke from a shop' }).click();
  await expect(board.getByTestId('incident-detail')).toContainText(call.number);
  await board.locator('table.units tr[data-unit="P11"]').click();
  await expect(p11Label).toHaveClass(/map-label-selected/);
  await expect(board.locator('table.units tr[data-unit="P11"]')).toHaveClass(/chosen/);

  // Assigning offers the free units nearest the call first, with how far they are.
  const options = await board.getByTestId('incident-detail').locator('select[aria-label="Unit to assign"] option').allTextContents();
  expect(options.slice(1, 3)).toEqual([
    expect.stringMatching(/^P11 — Available · \d+ m$/),
    expect.stringMatching(/^E3 — Available · \d\.\d km$/),
  ]);
  await shoot(board, 'map-board-1280x800.png');
  await context.close();
});

test('an administrator replaces the agency\'s map, and a file that is not one is refused in words', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1280, height: 800 } });
  const admin = await context.newPage();
  await admin.goto('/');
  await admin.fill('input[name=username]', 'admin');
  await admin.fill('input[name=password]', PASSWORD);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.getByRole('link', { name: 'Admin' }).click();
  await admin.getByRole('tab', { name: 'Map' }).click();
  const section = admin.getByTestId('map-admin');
  await expect(section.getByTestId('map-admin-pack')).toContainText('3.8 MB · zoom 0–14');
  await section.locator('input[name=map-file]').setInputFiles({
    name: 'notes.pmtiles', mimeType: 'application/octet-stream', buffer: Buffer.from('not a map at all'),
  });
  await expect(section.getByRole('alert')).toContainText('not a map pack the app can use');
  await section.locator('input[name=map-file]').setInputFiles(process.env.TENFOUR_DEMO_MAP);
  await expect(section.getByRole('status')).toContainText('Uploaded: devices download the new map (3.8 MB)');
  await admin.getByRole('tab', { name: 'Audit log' }).click();
  await expect(admin.locator('body')).toContainText('map uploaded');
  await context.close();
});
