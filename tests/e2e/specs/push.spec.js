// Pocket alerts in the browser: the home screen offers them (never on first paint, one tap),
// and the service worker turns a push into a notification for a phone in a pocket — tagged
// per call so an update replaces the older one, kept on screen for a new call — or, while
// tenfour is open in front of the crew, leaves the alert to the app. Pushes are delivered
// through the DevTools protocol (ServiceWorker.deliverPushMessage): these machines reach no
// push service.
const { test, expect } = require('@playwright/test');
const { PASSWORD } = require('./hub');

const SHOTS = process.env.TENFOUR_SCREENSHOTS;

async function signIn(page) {
  await page.goto('/');
  await page.fill('input[name=username]', 'medic2');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click('[data-unit="M14"]');
  await expect(page.getByTestId('unit-badge')).toHaveText('M14');
}

/** The service worker's registration id, once it is active. */
async function registration(cdp) {
  const found = new Promise((resolve) => {
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      const active = versions.find((v) => v.runningStatus === 'running' && v.status === 'activated');
      if (active) resolve(active.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return found;
}

async function notifications(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const shown = await registration.getNotifications();
    return shown.map((n) => ({
      title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction, data: n.data,
    }));
  });
}

test('pocket alerts are offered below the assignments, and put off with one tap', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, colorScheme: 'dark' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  // Not on first paint: the sign-in screen asks nothing.
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('pocket-offer')).toHaveCount(0);
  await page.fill('input[name=username]', 'medic2');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click('[data-unit="M14"]');
  const offer = page.getByTestId('pocket-offer');
  await expect(offer).toContainText('Alerts with the screen off');
  const turnOn = offer.getByRole('button', { name: 'Turn on' });
  const box = await turnOn.boundingBox();
  expect(box.height).toBeGreaterThanOrEqual(48);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/pocket-offer-360x640-night.png`, fullPage: true });
  await offer.getByRole('button', { name: 'Not now' }).click();
  await expect(offer).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('unit-badge')).toHaveText('M14');
  await expect(page.getByTestId('pocket-offer')).toHaveCount(0);
  // Still one tap away in the device's settings.
  await page.goto('/outbox');
  await expect(page.getByTestId('pocket-alerts')).toContainText('Pocket alerts are off');
  expect(errors).toEqual([]);
  await context.close();
});

test('a push becomes a notification for the call when tenfour is not on screen', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  await context.grantPermissions(['notifications'], { origin: baseURL });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const registered = registration(cdp);
  await signIn(page);
  const registrationId = await registered;
  await page.evaluate(() => navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'tenfour-push') window.__tenfourPushes = (window.__tenfourPushes || 0) + 1;
  }));
  const origin = new URL(baseURL).origin;

  // Open and in front of the crew: the app alerts, the worker shows nothing.
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin,
    registrationId,
    data: JSON.stringify({ kind: 'note', incident_id: 41, title: 'New note from dispatch · Fall', body: '2026-00041 · 9 Elm Street' }),
  });
  // The worker hands it to the open app: a "message" the page receives.
  await expect.poll(() => page.evaluate(() => window.__tenfourPushes || 0)).toBeGreaterThan(0);

  // In a pocket: no window of tenfour is open.
  const keeper = await context.newPage();
  await keeper.goto('about:blank');
  await page.goto('about:blank');
  const workerCdp = await context.newCDPSession(keeper);
  await workerCdp.send('ServiceWorker.enable');
  const push = (message) => workerCdp.send('ServiceWorker.deliverPushMessage', {
    origin, registrationId, data: JSON.stringify(message),
  });
  await push({ kind: 'assignment', incident_id: 42, title: 'New call · P1 Cardiac arrest', body: '500 Harbor Way · Caution: Aggressive dog' });
  await push({ kind: 'note', incident_id: 43, title: 'New note from dispatch · Fall', body: '2026-00043 · 9 Elm Street' });
  await push({ kind: 'cancelled', incident_id: 43, title: 'Call cancelled · Fall', body: '2026-00043 · 9 Elm Street' });

  const reader = await context.newPage();
  await reader.goto('/outbox');
  await expect.poll(async () => (await notifications(reader)).length).toBe(2);
  const shown = await notifications(reader);
  const call = shown.find((n) => n.tag === 'incident-42');
  expect(call).toMatchObject({
    title: 'New call · P1 Cardiac arrest',
    body: '500 Harbor Way · Caution: Aggressive dog',
    requireInteraction: true,
    data: { incident_id: 42, kind: 'assignment' },
  });
  // The push that came while tenfour was on screen showed nothing; the cancellation
  // replaced the note about the same call.
  expect(shown.find((n) => n.tag === 'incident-41')).toBeUndefined();
  const update = shown.find((n) => n.tag === 'incident-43');
  expect(update).toMatchObject({ title: 'Call cancelled · Fall', requireInteraction: false });
  await context.close();
});
