// Chaos: one responder acts in two tabs while the network drops at random, pages reload and
// the hub is killed (SIGKILL) and restarted on the same database. Once the network is back,
// the hub holds every action exactly once, each tab's actions in order, and the board agrees
// with the device. CHAOS_ACTIONS sets the size (small in `cargo xtask test`).
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('./hub');

const ACTIONS = Number(process.env.CHAOS_ACTIONS || 24);

function random(seed) {
  let x = seed;
  return () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
}

test('nothing is lost or applied twice through drops, reloads and hub crashes', async ({ browser, playwright }) => {
  test.setTimeout(Math.max(120_000, ACTIONS * 3_000));
  const hub = new OwnHub();
  await hub.start();
  const baseURL = hub.url;
  const dispatcher = await Dispatcher.signIn(playwright, baseURL);
  const incident = await dispatcher.dispatch('P11', {
    nature_code: 'WELFARE', priority: 3, address: '5 Chaos Court', caller_notes: 'Check on neighbour',
  });

  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL });
  const errors = [];
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) tab.on('pageerror', (e) => errors.push(e.message));
  const [first, second] = tabs;
  await first.goto('/');
  await first.fill('input[name=username]', 'officer3');
  await first.fill('input[name=password]', PASSWORD);
  await first.getByRole('button', { name: 'Sign in' }).click();
  await first.click('[data-unit="P11"]');
  await first.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  await expect(first.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');
  await first.waitForFunction(() => navigator.serviceWorker.controller !== null);
  for (const tab of tabs) {
    await tab.goto(`/incident/${incident.id}`);
    await expect(tab.locator('#field-note')).toBeVisible();
  }

  const next = random(20261125);
  const done = [[], []]; // note texts per tab, in the order they were queued
  let offline = false;
  let statusTaps = 0;
  for (let i = 0; i < ACTIONS; i++) {
    const t = next() < 0.5 ? 0 : 1;
    const tab = tabs[t];
    const roll = next();
    if (roll < 0.12) {
      offline = !offline;
      await context.setOffline(offline);
    } else if (roll < 0.2) {
      await hub.kill();
      await hub.start();
    } else if (roll < 0.28) {
      await tab.reload();
      await expect(tab.locator('#field-note')).toBeVisible();
    }
    const before = await tab.evaluate(() => document.querySelector('[data-testid=toast]')?.dataset.seq || '0');
    // Statuses move the call forward (en route ... at hospital); "Available" would end the
    // assignment, so once it is the only way forward the tab writes notes instead.
    const forward = tab.locator('.status-button:not([data-status="available"])').first();
    if (next() < 0.5 || (await forward.count()) === 0) {
      const text = `tab ${t} note ${done[t].length}`;
      await tab.fill('#field-note', text);
      await tab.getByRole('button', { name: 'Add note' }).click();
      done[t].push(text);
    } else {
      await forward.click();
      statusTaps += 1;
    }
    // The action is durable on the device before the next thing happens to it.
    await expect(tab.getByTestId('toast')).not.toHaveAttribute('data-seq', before);
  }

  // The network comes back for good and the hub is up: everything drains.
  const reconnected = Date.now();
  await context.setOffline(false);
  // Each tab knows its own queued actions at once; the other tab learns of them a moment
  // later. Both must show nothing waiting before the hub is asked what it holds.
  for (const tab of tabs) await expect(tab.getByTestId('pending-count')).toHaveCount(0, { timeout: 60_000 });
  const drainMs = Date.now() - reconnected;

  const events = (await dispatcher.fieldEvents('P11')).filter((e) => e.kind !== 'acknowledge');
  const ids = events.map((e) => e.entry_id);
  const duplicated = ids.length - new Set(ids).size;
  const notes = events.filter((e) => e.kind === 'field_note').map((e) => e.text);
  const statuses = events.filter((e) => e.kind === 'status');
  const expected = done[0].length + done[1].length + statusTaps;
  const lost = expected - new Set(ids).size;
  let outOfOrder = 0;
  for (const list of done) {
    const positions = list.map((text) => notes.indexOf(text));
    for (let k = 1; k < positions.length; k++) if (positions[k] < positions[k - 1]) outOfOrder += 1;
  }
  console.log(`chaos: N=${expected} lost=${lost} duplicated=${duplicated} out-of-order=${outOfOrder} drain=${drainMs} ms`);
  expect({ lost, duplicated, outOfOrder }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
  expect(statuses).toHaveLength(statusTaps);
  for (const list of done) for (const text of list) expect(notes.filter((n) => n === text)).toHaveLength(1);

  // The board shows the unit as the device does.
  const board = await dispatcher.get('/api/board');
  const unit = board.units.find((u) => u.callsign === 'P11');
  const shown = (await first.getByTestId('my-status').textContent()).replace('Status: ', '');
  const labels = { available: 'Available', out_of_service: 'Out of service', on_scene: 'On scene', en_route: 'En route',
    acknowledged: 'Acknowledged', dispatched: 'Dispatched', transporting: 'Transporting', at_hospital: 'At hospital' };
  expect(labels[unit.status]).toBe(shown);
  expect(errors).toEqual([]);
  await context.close();
  await hub.kill();
});
