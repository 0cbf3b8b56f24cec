// Signing out with actions still waiting keeps them, warns first, and sends them only from a
// session on the unit they were taken for.
const { test, expect } = require('@playwright/test');
const { Dispatcher, PASSWORD } = require('./hub');

async function signIn(page, unit) {
  await page.fill('input[name=username]', 'officer1');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click(`[data-unit="${unit}"]`);
}

test('waiting actions survive sign-out and go out only for their own unit', async ({ browser, playwright, baseURL }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await signIn(page, 'P7');
  await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');

  await context.setOffline(true);
  await page.locator('a.assignment').first().click();
  await page.click('[data-status="en_route"]');
  await expect(page.getByTestId('pending-count')).toHaveText('1 waiting');

  // Sign out: a warning first; the action stays.
  await page.locator('a.connection').click();
  let warning = '';
  page.once('dialog', (dialog) => { warning = dialog.message(); dialog.accept(); });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('waiting-notice')).toContainText('1 actions are waiting');
  expect(warning).toContain('have not reached dispatch');

  // Back online, another unit is refused while P7's action waits; P7 sends it.
  await context.setOffline(false);
  await page.fill('input[name=username]', 'officer1');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click('[data-unit="P9"]');
  await expect(page.getByRole('alert')).toContainText('from unit P7 are still waiting');
  await page.click('[data-unit="P7"]');
  await expect(page.getByTestId('unit-badge')).toHaveText('P7');
  await expect(page.getByTestId('pending-count')).toHaveCount(0);
  await expect(page.getByTestId('outbox-empty')).toBeVisible();

  const dispatcher = await Dispatcher.signIn(playwright, baseURL);
  const p7 = await dispatcher.fieldEvents('P7');
  expect(p7.map((e) => `${e.kind}:${e.status}`)).toEqual(['acknowledge:acknowledged', 'status:en_route']);
  expect(await dispatcher.fieldEvents('P9')).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});
