// The responder's incident on a 360×640 phone at night: the status buttons are docked at the
// bottom, all in view without scrolling; cautions, nature, address and the newest caller note
// are above them; every action's confirmation shows, each time, without covering a button.
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

const SHOTS = process.env.TENFOUR_SCREENSHOTS;

function inView(box, viewport) {
  return box && box.y >= 0 && box.y + box.height <= viewport.height && box.x >= 0 && box.x + box.width <= viewport.width;
}

function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

test('a phone shows the call and its status buttons on one screen', async ({ browser, playwright }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    const viewport = { width: 360, height: 640 };
    const context = await browser.newContext({ viewport, baseURL: hub.url, colorScheme: 'dark', hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto('/');
    await page.fill('input[name=username]', 'medic1');
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.click('[data-unit="M12"]');
    await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
    await expect(page.getByTestId('new-assignment')).toBeHidden();
    const dispatcher = await Dispatcher.signIn(playwright, hub.url);
    const board = await dispatcher.get('/api/board');
    const call = board.incidents.find((i) => i.nature_code === 'BREATHING');
    await dispatcher.post(`/api/incidents/${call.id}/notes`, { text: 'Caller says he is turning blue' });
    await page.locator('a.assignment').first().click();
    await expect(page.getByTestId('latest-note')).toContainText('Caller says he is turning blue');
    // The news banner for that note is dealt with first, as a crew would.
    const news = page.getByTestId('news');
    if (await news.isVisible()) await news.getByRole('button', { name: 'Seen' }).click();

    const dock = page.getByTestId('status-dock');
    await expect(dock.locator('.status-button').first()).toBeVisible();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/phone-incident-360x640-night.png` });
    const buttons = dock.locator('.status-button');
    await expect(buttons.first()).toBeVisible();
    for (const button of await buttons.all()) {
      expect(inView(await button.boundingBox(), viewport)).toBe(true);
    }
    for (const what of [page.getByRole('heading', { name: 'Difficulty breathing, elderly male' }), page.locator('a.address'), page.getByTestId('latest-note')]) {
      const box = await what.boundingBox();
      expect(inView(box, viewport)).toBe(true);
      expect(overlaps(box, await dock.boundingBox())).toBe(false);
    }

    // Each press gets its own confirmation, above the dock, never over a button.
    for (const status of ['en_route', 'on_scene']) {
      await dock.locator(`[data-status="${status}"]`).click();
      const toast = page.getByTestId('toast');
      await expect(toast).toBeVisible();
      await expect(toast).toContainText(status === 'en_route' ? 'En route' : 'On scene');
      await expect(page.getByTestId('my-status')).toContainText(status === 'en_route' ? 'En route' : 'On scene');
      // Measured in one go in the page: the buttons are rebuilt when the status changes.
      const covered = await page.evaluate(() => {
        const toast = document.querySelector('[data-testid=toast]').getBoundingClientRect();
        return [...document.querySelectorAll('[data-testid=status-dock] .status-button')]
          .map((b) => b.getBoundingClientRect())
          .some((b) => toast.left < b.right && b.left < toast.right && toast.top < b.bottom && b.top < toast.bottom);
      });
      expect(covered).toBe(false);
      // The next press must not come inside the double-tap guard.
      await page.waitForFunction(() => !document.querySelector('.status-button[aria-disabled="true"]'));
    }
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/phone-toast-360x640-night.png` });
    await context.close();
  } finally {
    await hub.kill();
  }
});
