// Check-in timers, timed by the hub: a crew on scene is asked at the warning time and
// answers with one tap while offline; the board raises the unit as overdue by the hub's
// clock while that answer is stuck on the phone (through a hub SIGKILL); once the network returns the check-in
// arrives once and the alarm comes down; a dispatcher can escalate an unanswered unit to an
// emergency, and check a unit in heard by radio.
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

// On scene: check in every 20 s, asked 14 s before (so from 6 s after arriving).
const seed = {
  slug: 'timer-county',
  name: 'Timer County',
  users: [
    { username: 'timer-desk', display_name: 'Timer Desk', role: 'dispatcher', password: PASSWORD },
    { username: 'timer-crew', display_name: 'Timer Crew', role: 'responder', password: PASSWORD },
  ],
  units: [{ callsign: 'U1', kind: 'police' }],
  incidents: [{ incident: { nature_code: 'DOMESTIC', priority: 2, address: '3 Quarry Lane' }, assign: ['U1'] }],
  check_in: [{ status: 'on_scene', every_seconds: 20, warn_seconds: 14 }],
};

let hub;
test.beforeAll(async () => {
  hub = OwnHub.withAgency(seed);
  await hub.start();
});
test.afterAll(async () => { await hub.kill(); });

async function signIn(browser, username, options) {
  const context = await browser.newContext({ baseURL: hub.url, ...options });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return { context, page };
}

test('a check-in answered offline arrives once; the board shows the unit overdue meanwhile', async ({ browser, playwright }) => {
  test.setTimeout(120_000);
  const desk = await signIn(browser, 'timer-desk', { viewport: { width: 1280, height: 800 } });
  const board = desk.page;
  await expect(board.getByTestId('board-units').locator('tr[data-unit="U1"]')).toBeVisible();
  const crew = await signIn(browser, 'timer-crew', { viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true });
  const phone = crew.page;
  await phone.click('[data-unit="U1"]');
  await phone.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  await phone.locator('a.assignment').first().click();
  const dock = phone.getByTestId('status-dock');
  for (const [status, label] of [['en_route', 'En route'], ['on_scene', 'On scene']]) {
    const button = dock.locator(`[data-status="${status}"]`);
    await expect(button).toHaveAttribute('aria-disabled', 'false');
    await button.click();
    await expect(phone.getByTestId('my-status')).toContainText(label);
  }
  const prompt = phone.getByTestId('check-in-prompt');
  await expect(prompt).toBeVisible({ timeout: 20_000 });
  await expect(prompt).toHaveAttribute('data-state', 'asking');

  // In a basement: the answer waits on the phone.
  await crew.context.setOffline(true);
  await expect(phone.locator('.connection')).toHaveAttribute('data-state', 'offline');
  // As any press right after another (the "On scene" above), the answer waits until the
  // double-tap guard has settled: the button says so.
  const checkIn = prompt.getByRole('button', { name: "We're OK — check in" });
  await expect(checkIn).toHaveAttribute('aria-disabled', 'false');
  await checkIn.click();
  await expect(prompt).toHaveCount(0);
  await expect(phone.getByTestId('pending-count')).toHaveText('1 waiting');

  // The hub never heard it: at the due time the board raises U1.
  const alarm = board.getByTestId('overdue-alarm');
  await expect(alarm).toContainText('U1 check-in overdue', { timeout: 25_000 });
  await expect(board.getByTestId('board-units').locator('tr[data-unit="U1"]')).toHaveAttribute('data-flags', /check-in-overdue/);

  // The hub is SIGKILLed and restarted meanwhile: the timer is the hub's, kept in its
  // database, so a board opened afresh after the restart raises U1 all the same.
  await hub.kill();
  await hub.start();
  const fresh = await signIn(browser, 'timer-desk', { viewport: { width: 1280, height: 800 } });
  await expect(fresh.page.getByTestId('overdue-alarm')).toContainText('U1 check-in overdue');
  await fresh.context.close();

  // The network returns: the check-in arrives once and its timer runs from the press.
  await crew.context.setOffline(false);
  await expect(alarm).toHaveCount(0);
  const dispatcher = await Dispatcher.signIn(playwright, hub.url, 'timer-desk');
  const checkIns = (await dispatcher.fieldEvents('U1')).filter((e) => e.kind === 'check_in');
  expect(checkIns).toHaveLength(1);
  expect(checkIns[0].outcome).toBe('applied');

  // Overdue again later, and nobody answers: the dispatcher escalates it to an emergency,
  // which the crew's phone shows too; then the crew answers on the radio.
  await expect(alarm).toContainText('U1 check-in overdue', { timeout: 40_000 });
  board.once('dialog', (dialog) => dialog.accept());
  await board.getByRole('button', { name: 'Escalate U1 to emergency' }).click();
  await expect(board.getByTestId('emergency-alarm')).toContainText('EMERGENCY U1');
  await expect(phone.getByTestId('emergency-panel')).toHaveAttribute('data-state', 'delivered');
  await board.getByRole('button', { name: 'U1 checked in by radio' }).click();
  await expect(alarm).toHaveCount(0);
  await desk.context.close();
  await crew.context.close();
});
