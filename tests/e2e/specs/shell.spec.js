// The app shell: served by the hub, installable, and still there with no network.
const { test, expect } = require('@playwright/test');

test('the shell opens offline once the service worker controls the page', async ({ page, context }) => {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // The Content-Security-Policy must let the app run without a single violation.
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) errors.push(message.text());
  });

  await page.goto('/');
  await expect(page.locator('.brand')).toHaveText('tenfour');
  await expect(page.locator('.connection')).toHaveAttribute('data-state', 'online');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('.brand')).toHaveText('tenfour');
  await expect(page.locator('.connection')).toHaveAttribute('data-state', 'offline');
  await expect(page.locator('.connection')).toContainText('Offline');

  await context.setOffline(false);
  await expect(page.locator('.connection')).toHaveAttribute('data-state', 'online');
  expect(errors).toEqual([]);
});

test('the manifest makes the app installable', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  const response = await request.get(href);
  expect(response.ok()).toBeTruthy();
  const manifest = await response.json();
  expect(manifest.display).toBe('standalone');
  expect(manifest.start_url).toBe('/');
  expect(manifest.theme_color).toMatch(/^#/);
  const sizes = manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose}`);
  expect(sizes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
  for (const icon of manifest.icons) {
    const image = await request.get(icon.src);
    expect(image.ok()).toBeTruthy();
    expect(image.headers()['content-type']).toBe('image/png');
  }
});
