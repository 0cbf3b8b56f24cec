// The emergency button, as a crew and two dispatchers live it: pressed with no network, the
// phone says plainly that dispatch has NOT received it and offers a call and a text to the
// agency's number; when the network returns it arrives once, the alarm goes up on both
// boards, the unit on the same call sees it, one dispatcher's acknowledgement reaches the
// other board and the phone ("Dispatch has your emergency — 14:02, Dana Reyes"); the crew
// cancels, and the record keeps who ended it and why.
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

let hub;
test.beforeAll(async () => {
  hub = new OwnHub();
  await hub.start();
});
test.afterAll(async () => { await hub.kill(); });

async function signIn(browser, username, unit, options) {
  const context = await browser.newContext({ baseURL: hub.url, ...options });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (unit) await page.click(`[data-unit="${unit}"]`);
  return { context, page };
}

const phone = { viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, colorScheme: 'dark' };
const desk = { viewport: { width: 1280, height: 800 } };

async function shoot(page, name) {
  if (process.env.TENFOUR_SCREENSHOTS) {
    fs.mkdirSync(process.env.TENFOUR_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.TENFOUR_SCREENSHOTS, name) });
  }
}

/** Holds the SOS button until the panel shows (the press is then saved), and lets go. */
async function holdSos(crew) {
  await crew.getByTestId('emergency-button').hover();
  await crew.mouse.down();
  const panel = crew.getByTestId('emergency-panel');
  await expect(panel).toBeVisible();
  await crew.mouse.up();
  return panel;
}

test('an emergency pressed offline alarms two boards once the network returns, and the acknowledgement reaches the crew', async ({ browser, playwright }) => {
  const first = await signIn(browser, 'dispatch', null, desk);
  const second = await signIn(browser, 'dispatch', null, desk);
  for (const board of [first.page, second.page]) await expect(board.getByTestId('board-units')).toBeVisible();
  // P7 and P9 share a call (the domestic on Via Romana) and have acknowledged it.
  const p7 = await signIn(browser, 'officer1', 'P7', phone);
  const crew = p7.page;
  const p9 = await signIn(browser, 'officer2', 'P9', phone);
  for (const page of [crew, p9.page]) {
    await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
    await expect(page.getByTestId('new-assignment')).toHaveCount(0);
  }

  // No network in the stairwell.
  await p7.context.setOffline(true);
  await expect(crew.locator('.connection')).toHaveAttribute('data-state', 'offline');
  const sos = crew.getByTestId('emergency-button');
  // A stray tap sends nothing: only the hold below is queued (1 waiting).
  await sos.click();
  await sos.hover();
  await crew.mouse.down();
  const panel = crew.getByTestId('emergency-panel');
  await expect(panel).toHaveAttribute('data-state', 'not-delivered');
  await crew.mouse.up();
  await expect(panel).toContainText('EMERGENCY NOT RECEIVED BY DISPATCH');
  await expect(crew.getByTestId('pending-count')).toHaveText('1 waiting');
  await expect(crew.getByTestId('emergency-call')).toHaveAttribute('href', 'tel:+15035550100');
  const sms = await crew.getByTestId('emergency-sms').getAttribute('href');
  expect(sms.startsWith('sms:+15035550100?body=')).toBe(true);
  expect(decodeURIComponent(sms.split('body=')[1])).toMatch(/^EMERGENCY P7 \(Chris Patel\) pressed \d\d:\d\d/);
  await shoot(crew, 'emergency-not-delivered-360x640-night.png');
  await expect(first.page.getByTestId('emergency-alarm')).toHaveCount(0);

  // The network returns: delivered, on both boards, with the unit's row marked.
  await p7.context.setOffline(false);
  await expect(panel).toHaveAttribute('data-state', 'delivered');
  for (const board of [first.page, second.page]) {
    const alarm = board.getByTestId('emergency-alarm');
    await expect(alarm).toContainText('EMERGENCY P7');
    await expect(alarm).toContainText('Chris Patel');
    await expect(board.getByTestId('board-units').locator('tr[data-unit="P7"]')).toHaveClass(/\bemergency\b/);
  }
  await expect(p9.page.getByTestId('emergency-other')).toContainText('EMERGENCY: P7');
  await shoot(first.page, 'emergency-board-1280x800.png');

  // Once, however the device retried.
  const dispatcher = await Dispatcher.signIn(playwright, hub.url);
  const changes = await dispatcher.allChanges();
  const ids = new Set(changes.filter((c) => c.type === 'emergency').map((c) => c.data.id));
  expect(ids.size).toBe(1);
  expect((await dispatcher.fieldEvents('P7')).filter((e) => e.kind === 'emergency')).toHaveLength(1);

  // One dispatcher takes it: the other board and the crew see who.
  await first.page.getByRole('button', { name: 'Acknowledge P7' }).click();
  await expect(second.page.getByTestId('emergency-alarm')).toContainText('by Dana Reyes (dispatch)');
  await expect(second.page.getByRole('button', { name: 'Acknowledge P7' })).toHaveCount(0);
  await expect(panel).toHaveAttribute('data-state', 'acknowledged');
  await expect(panel).toContainText(/Dispatch has your emergency — \d\d:\d\d, Dana Reyes \(dispatch\)/);
  await expect(p9.page.getByTestId('emergency-other')).toContainText('Dana Reyes (dispatch)');
  await shoot(crew, 'emergency-acknowledged-360x640-night.png');

  // The crew is safe and cancels; the alarm comes down everywhere and the record stays.
  crew.once('dialog', (dialog) => dialog.accept());
  await panel.getByRole('button', { name: 'Cancel emergency' }).click();
  await expect(panel).toHaveCount(0);
  for (const board of [first.page, second.page]) await expect(board.getByTestId('emergency-alarm')).toHaveCount(0);
  await expect(p9.page.getByTestId('emergency-other')).toHaveCount(0);
  const record = (await dispatcher.allChanges()).filter((c) => c.type === 'emergency').pop().data;
  expect(record).toMatchObject({ callsign: 'P7', ended_by: 'Chris Patel', end_reason: 'cancelled by the responder', acknowledged_by: 'Dana Reyes (dispatch)' });
  for (const c of [first, second, p7, p9]) await c.context.close();
});

test('a dispatcher ends an emergency with a reason, and the crew sees it has ended', async ({ browser }) => {
  const board = await signIn(browser, 'dispatch', null, desk);
  const m12 = await signIn(browser, 'medic1', 'M12', phone);
  const crew = m12.page;
  // The button stays in reach over a new assignment's alert.
  await expect(crew.getByTestId('new-assignment')).toBeVisible();
  const panel = await holdSos(crew);
  await expect(panel).toHaveAttribute('data-state', 'delivered');
  // The crew's own emergency comes first: the assignment's alert gives way (and stops
  // ringing) so the panel, its call and text and its cancel are in sight.
  await expect(crew.getByTestId('new-assignment')).toHaveCount(0);
  await board.page.getByRole('button', { name: 'Acknowledge M12' }).click();
  board.page.once('dialog', (dialog) => dialog.accept('Crew safe, confirmed by radio'));
  await board.page.getByRole('button', { name: 'End emergency M12' }).click();
  await expect(board.page.getByTestId('emergency-alarm')).toHaveCount(0);
  await expect(panel).toHaveCount(0);
  // Then the assignment, still unanswered, asks again.
  await expect(crew.getByTestId('new-assignment')).toBeVisible();
  await board.context.close();
  await m12.context.close();
});

test('while the emergency is active, where the crew goes follows it to the board, through a hub SIGKILL', async ({ browser, playwright }) => {
  const board = await signIn(browser, 'dispatch', null, desk);
  const here = { latitude: 45.5300, longitude: -122.6600, accuracy: 10 };
  const m12 = await signIn(browser, 'medic1', 'M12', { ...phone, permissions: ['geolocation'], geolocation: here });
  const crew = m12.page;
  await expect(crew.getByTestId('new-assignment')).toBeVisible();
  const panel = await holdSos(crew);
  await expect(panel).toHaveAttribute('data-state', 'delivered');
  const alarm = board.page.getByTestId('emergency-alarm');
  await expect(alarm).toContainText('EMERGENCY M12');

  // Location was off: one tap on the panel shares it, and dispatch sees where the crew is.
  await panel.getByTestId('emergency-share-location').click();
  await expect(panel.getByTestId('emergency-share-location')).toHaveCount(0);
  await expect(alarm).toContainText('at 45.53000, -122.66000');
  await shoot(crew, 'emergency-location-360x640-night.png');

  // The hub dies. The crew moves 200 m meanwhile: the position waits on the phone.
  await hub.kill();
  await m12.context.setGeolocation({ latitude: 45.5318, longitude: -122.6600, accuracy: 10 });
  await expect(crew.getByTestId('pending-count')).toHaveText(/\d+ waiting/);

  // The hub is back: the alarm is still up on the board and the new position reaches it.
  await hub.start();
  await expect(alarm).toContainText('EMERGENCY M12');
  await expect(alarm).toContainText('at 45.53180, -122.66000');
  await expect(crew.getByTestId('pending-count')).toHaveCount(0);
  await shoot(board.page, 'emergency-trail-board-1280x800.png');

  // The record holds each position once, in order; the feed is not crowded with them.
  const dispatcher = await Dispatcher.signIn(playwright, hub.url);
  const record = (await dispatcher.allChanges()).filter((c) => c.type === 'emergency' && c.data.callsign === 'M12').pop().data;
  expect(record.ended_at).toBeNull();
  // (Standing still, the phone repeats its position on its clock tick: each arrives once.)
  const lats = record.trail.map((f) => f.latitude);
  expect(lats[0]).toBe(45.53);
  expect(lats[lats.length - 1]).toBe(45.5318);
  expect(new Set(record.trail.map((f) => f.at)).size).toBe(record.trail.length);
  expect((await dispatcher.fieldEvents('M12')).filter((e) => e.kind === 'position')).toHaveLength(0);
  await board.context.close();
  await m12.context.close();
});
