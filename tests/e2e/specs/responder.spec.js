// The responder's day, offline in the middle: an assignment arrives live and must be
// acknowledged; offline, the crew goes en route, on scene and writes a note; a reload
// offline keeps everything; back online, dispatch holds every action exactly once, in
// order, with the times the buttons were pressed. On a phone and on a vehicle tablet.
const { test, expect } = require('@playwright/test');
const { Dispatcher, PASSWORD } = require('./hub');

const devices = [
  { name: 'phone 360x640', viewport: { width: 360, height: 640 }, user: 'medic2', unit: 'M14' },
  { name: 'tablet 1280x800', viewport: { width: 1280, height: 800 }, user: 'officer3', unit: 'P11' },
];

for (const device of devices) {
  test(`responder works through an assignment offline on a ${device.name}`, async ({ browser, playwright, baseURL }) => {
    const context = await browser.newContext({ viewport: device.viewport, baseURL });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const dispatcher = await Dispatcher.signIn(playwright, baseURL);

    // Sign in and choose the unit (online, the first time).
    await page.goto('/');
    await page.fill('input[name=username]', device.user);
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.click(`[data-unit="${device.unit}"]`);
    await expect(page.getByRole('heading', { name: 'Assignments' })).toBeVisible();
    await expect(page.getByTestId('unit-badge')).toHaveText(device.unit);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await expect(page.locator('.connection')).toHaveAttribute('data-state', 'online');

    // Dispatch sends an assignment: it takes over the screen until acknowledged.
    // Markup in a note is shown as text, never run or rendered.
    const callerNote = `Caller reports a fall on the stairs (${device.unit}) <img src=x onerror="window.pwned=1"> <b>not bold</b>`;
    const incident = await dispatcher.dispatch(device.unit, {
      nature_code: 'FALL', priority: 2, address: `${device.unit === 'M14' ? 14 : 11} Cedar Lane`,
      latitude: 45.51, longitude: -122.65, caller_name: 'Ana Ruiz', callback: '+1 503 555 0111',
      cautions: ['Dog in yard'], caller_notes: callerNote,
    });
    const alert = page.getByTestId('new-assignment');
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(incident.address);
    await expect(alert).toContainText('Dog in yard');
    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(alert).toBeHidden();
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');

    // The network goes away; the crew keeps working.
    await context.setOffline(true);
    await expect(page.locator('.connection')).toHaveAttribute('data-state', 'offline');
    await page.click(`a[href="/incident/${incident.id}"]`);
    await expect(page.getByTestId('cautions')).toContainText('Dog in yard');
    await expect(page.getByTestId('timeline')).toContainText(callerNote);
    await expect(page.locator('a.address')).toHaveAttribute('href', /^geo:45\.51,-122\.65/);
    await expect(page.locator('a.callback')).toHaveAttribute('href', 'tel:+15035550111');

    const pressedFrom = Date.now();
    await page.click('[data-status="en_route"]');
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'saved');
    const commitMs = Number(await page.getByTestId('toast').getAttribute('data-commit-ms'));
    await expect(page.getByTestId('my-status')).toContainText('En route');
    await page.click('[data-status="on_scene"]');
    await expect(page.getByTestId('my-status')).toContainText('On scene');
    await page.fill('#field-note', 'Patient conscious, talking');
    await page.getByRole('button', { name: 'Add note' }).click();
    const pressedUntil = Date.now();
    await expect(page.getByTestId('pending-count')).toHaveText('3 waiting');
    await expect(page.getByTestId('timeline')).toContainText('waiting to send');
    console.log(`[${device.name}] tap to outbox commit: ${commitMs.toFixed(1)} ms`);

    // The tab is reloaded with no network: everything is still on the device.
    await page.reload();
    await expect(page.getByTestId('cautions')).toContainText('Dog in yard');
    await expect(page.getByTestId('timeline')).toContainText(callerNote);
    await expect(page.getByTestId('timeline')).toContainText('Patient conscious, talking');
    await expect(page.getByTestId('as-of')).toContainText('as of');
    await expect(page.getByTestId('pending-count')).toHaveText('3 waiting');
    await expect(page.getByTestId('my-status')).toContainText('On scene');

    // Back online: the outbox drains by itself.
    const reconnectedAt = Date.now();
    await context.setOffline(false);
    await expect(page.getByTestId('pending-count')).toHaveCount(0);
    await expect(page.locator('.connection')).toHaveAttribute('data-state', 'online');
    await expect(page.locator('.note.pending')).toHaveCount(0);
    await expect(page.getByTestId('timeline')).toContainText('Patient conscious, talking');

    // Dispatch holds each action exactly once, in order, with the press times.
    const events = await dispatcher.fieldEvents(device.unit);
    expect(events.map((e) => `${e.kind}:${e.status || e.text}`)).toEqual([
      'acknowledge:acknowledged',
      'status:en_route',
      'status:on_scene',
      'field_note:Patient conscious, talking',
    ]);
    expect(new Set(events.map((e) => e.entry_id)).size).toBe(4);
    expect(events.every((e) => e.outcome === 'applied')).toBe(true);
    for (const offline of events.slice(1)) {
      expect(offline.at).toBeGreaterThanOrEqual(pressedFrom - 1000);
      expect(offline.at).toBeLessThanOrEqual(pressedUntil + 1000);
      expect(offline.received_at).toBeGreaterThanOrEqual(reconnectedAt - 1000);
      expect(offline.at).toBeLessThan(offline.received_at);
    }
    expect(await page.evaluate(() => window.pwned)).toBeUndefined();
    await expect(page.locator('.timeline b')).toHaveCount(0);
    const final = await dispatcher.get(`/api/incidents/${incident.id}`);
    expect(final.notes.filter((n) => n.text === 'Patient conscious, talking')).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });
}
