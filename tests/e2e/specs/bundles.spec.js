// Two apps, two bundles: a responder's phone loads only the field app (the board and the
// administration screens are a bundle of their own, at /board); a dispatcher who signs in
// lands on the board; each app sends a session of the other side's role to the other app;
// both open with the network gone once the service worker holds them.
const { test, expect } = require('@playwright/test');
const { signIn } = require('./hub');

/** The app files (wasm and its glue) a page fetched itself, by path. */
function watchScripts(page) {
  const fetched = [];
  page.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.endsWith('.wasm') || (pathname.endsWith('.js') && !pathname.startsWith('/map/'))) fetched.push(pathname);
  });
  return fetched;
}

test('a responder loads only the field app; /board sends them back to their assignments', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const fetched = watchScripts(page);
  await signIn(page, 'medic1', 'M12');
  await expect(page.getByRole('heading', { name: 'Assignments' })).toBeVisible();
  expect(fetched.filter((p) => p.endsWith('.wasm'))).toHaveLength(1);
  expect(fetched.filter((p) => p.startsWith('/board/'))).toEqual([]);

  // A responder who follows a link to the board is sent to the field app.
  await page.goto('/board');
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.getByRole('heading', { name: 'Assignments' })).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test('a dispatcher lands on the board, which also opens offline; sign-out leads to sign-in there', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'dispatch');
  await page.waitForURL((url) => url.pathname === '/board');
  await expect(page.getByTestId('board-units')).toBeVisible();
  await expect(page.locator('a.brand')).toHaveAttribute('href', '/board');
  // Opening the app's address again goes straight to the board.
  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/board');
  await expect(page.getByTestId('board-units')).toBeVisible();

  // The service worker holds both apps: with the network gone, the board still opens, from
  // the field app's address too.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.goto('/board');
  await expect(page.getByTestId('board-units')).toBeVisible();
  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/board');
  await expect(page.getByTestId('board-units')).toBeVisible();
  await context.setOffline(false);

  // The connection link leads to the board's own sync and sign-out screen.
  await page.locator('a.connection').click();
  await page.waitForURL((url) => url.pathname === '/board/outbox');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.locator('input[name=username]')).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test('an administrator reaches the administration screens under /board', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL });
  const page = await context.newPage();
  await signIn(page, 'admin');
  await page.waitForURL((url) => url.pathname === '/board');
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.waitForURL((url) => url.pathname === '/board/admin');
  // A reload of the administration screen stays there (the hub serves the board's shell).
  await page.reload();
  await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible();
  await expect(page).toHaveURL(/\/board\/admin$/);
  await context.close();
});
