// A gloved double tap is one press: two real taps 150 ms apart on "Acknowledge", then on
// "En route", give dispatch exactly Acknowledged and En route, never the button that
// appeared under the finger.
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

/** Two taps at the centre of `locator`, `gap` ms apart, as a finger makes them: the second
 *  lands wherever the screen has changed to by then. */
async function doubleTap(page, locator, gap = 150) {
  const box = await locator.boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.touchscreen.tap(x, y);
  // The gap between the taps is the input under test, not a wait for the app.
  await page.waitForTimeout(gap);
  await page.touchscreen.tap(x, y);
}

async function centre(locator) {
  const box = await locator.boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Presses and keeps pressing until the undo bar replaces the button, then lets go. */
async function hold(page, locator) {
  const { x, y } = await centre(locator);
  await page.mouse.move(x, y);
  await page.mouse.down();
  // Waits in the page for the undo bar to replace the button (a DOM condition).
  const trace = await page.evaluate(() => new Promise((resolve, reject) => {
    const seen = [];
    const started = Date.now();
    const timer = setInterval(() => {
      const bar = document.querySelector('[data-testid=undo-ending]');
      seen.push(bar ? 'U' : (document.querySelector('.holding') ? 'H' : '-'));
      if (bar) { clearInterval(timer); resolve(seen.join('')); }
      if (Date.now() - started > 15_000) { clearInterval(timer); reject(new Error(`no undo bar: ${seen.join('')}`)); }
    }, 50);
  }));
  console.log(`hold: ${trace}`);
  await page.mouse.up();
}

test('a double tap sends one status, and ending the call needs a hold and can be undone', async ({ browser, playwright }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    const context = await browser.newContext({
      viewport: { width: 360, height: 640 }, baseURL: hub.url, hasTouch: true, isMobile: true,
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await page.fill('input[name=username]', 'medic1');
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.click('[data-unit="M12"]');

    const alert = page.getByTestId('new-assignment');
    await expect(alert).toBeVisible();
    await doubleTap(page, alert.getByRole('button', { name: 'Acknowledge' }));
    await expect(alert).toBeHidden();
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');
    // The second tap landed on the answered alert, not on the list beneath it.
    await expect(page.getByRole('heading', { name: 'Assignments' })).toBeVisible();

    await page.locator('a.assignment').first().click();
    const enRoute = page.locator('[data-status="en_route"]');
    await expect(enRoute).toBeVisible();
    await doubleTap(page, enRoute);
    await expect(page.getByTestId('my-status')).toHaveText('Status: En route');
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');
    // Once the press has settled, the next status is one deliberate tap away.
    await expect(page.locator('[data-status="on_scene"]')).toHaveAttribute('aria-disabled', 'false');

    await page.click('[data-status="on_scene"]');
    await expect(page.getByTestId('my-status')).toHaveText('Status: On scene');

    // "Available" ends the unit's part in the call: a tap does nothing...
    const available = page.locator('[data-status="available"]');
    await expect(available).toHaveAttribute('aria-disabled', 'false');
    await expect(available).toContainText('Hold to end the call');
    const { x, y } = await centre(available);
    await page.mouse.click(x, y);
    await expect(page.getByTestId('undo-ending')).toBeHidden();
    // ...a hold starts the undo time, and Undo sends nothing.
    await hold(page, available);
    const undo = page.getByTestId('undo-ending');
    await expect(undo).toContainText('Available in');
    await undo.getByRole('button', { name: 'Undo' }).click();
    await expect(undo).toBeHidden();
    await expect(page.getByTestId('my-status')).toHaveText('Status: On scene');
    // Held and left alone, it goes out when the undo time is up.
    await hold(page, available);
    // The unit is off the call: the screen says so and keeps the call readable.
    await expect(page.getByTestId('call-ended')).toHaveText('Your unit is no longer on this call.', { timeout: 15_000 });
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');
    // Clearing oneself is not news from dispatch.
    await expect(page.getByTestId('news')).toHaveCount(0);

    const dispatcher = await Dispatcher.signIn(playwright, hub.url);
    const events = await dispatcher.fieldEvents('M12');
    expect(events.map((e) => `${e.kind}:${e.status}:${e.outcome}`)).toEqual([
      'acknowledge:acknowledged:applied',
      'status:en_route:applied',
      'status:on_scene:applied',
      'status:available:applied',
    ]);
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await hub.kill();
  }
});
