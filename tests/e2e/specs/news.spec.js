// Changes to a crew's call never arrive silently: a dispatcher's note and a cancellation
// raise a banner on the phone that stays until the crew marks it seen, and a cancelled call
// says so and stays readable.
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

const SHOTS = process.env.TENFOUR_SCREENSHOTS;

test('a dispatcher note and a cancellation alert the phone until seen', async ({ browser, playwright }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL: hub.url, colorScheme: 'dark' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await page.fill('input[name=username]', 'medic1');
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.click('[data-unit="M12"]');
    await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');
    await expect(page.getByTestId('new-assignment')).toBeHidden();

    const dispatcher = await Dispatcher.signIn(playwright, hub.url);
    const board = await dispatcher.get('/api/board');
    const call = board.incidents.find((i) => i.nature_code === 'BREATHING');
    await dispatcher.post(`/api/incidents/${call.id}/notes`, { text: 'Patient now unresponsive, CPR instructions given' });

    const news = page.getByTestId('news');
    await expect(news).toContainText('Patient now unresponsive, CPR instructions given');
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/news-360x640-night.png` });
    await news.getByRole('button', { name: 'Seen' }).click();
    await expect(news).toBeHidden();

    await dispatcher.post(`/api/incidents/${call.id}/cancel`, {});
    await expect(news).toContainText('CANCELLED');
    await news.getByRole('link').first().click();
    await expect(page.getByTestId('call-ended')).toHaveText('Dispatch cancelled this call.');
    await expect(page.getByRole('heading', { name: 'Difficulty breathing, elderly male' })).toBeVisible();
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await hub.kill();
  }
});
