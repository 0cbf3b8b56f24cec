// The connection indicator tells the truth in every tab: "not reaching dispatch" within 10 s
// of the hub dying, and "online" within seconds of its return.
const { test, expect } = require('@playwright/test');
const { OwnHub, PASSWORD } = require('./hub');

test('both tabs show the hub gone within 10 s and back within seconds', async ({ browser }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL: hub.url });
    const first = await context.newPage();
    await first.goto('/');
    await first.fill('input[name=username]', 'officer2');
    await first.fill('input[name=password]', PASSWORD);
    await first.getByRole('button', { name: 'Sign in' }).click();
    await first.click('[data-unit="P9"]');
    const second = await context.newPage();
    await second.goto('/');
    for (const tab of [first, second]) {
      await expect(tab.locator('.connection')).toHaveAttribute('data-state', 'online');
    }

    await hub.kill();
    const killedAt = Date.now();
    for (const tab of [first, second]) {
      await expect(tab.locator('.connection')).toHaveAttribute('data-state', 'error', { timeout: 12_000 });
      await expect(tab.locator('.connection')).toContainText('Not reaching dispatch');
    }
    const noticedAfter = Date.now() - killedAt;
    console.log(`hub gone noticed after ${noticedAfter} ms`);
    expect(noticedAfter).toBeLessThan(10_500);

    await hub.start();
    const backAt = Date.now();
    for (const tab of [first, second]) {
      await expect(tab.locator('.connection')).toHaveAttribute('data-state', 'online', { timeout: 10_000 });
    }
    const backAfter = Date.now() - backAt;
    console.log(`hub back noticed after ${backAfter} ms`);
    expect(backAfter).toBeLessThan(5_500);
    await context.close();
  } finally {
    await hub.kill();
  }
});
