// Device figures in Chromium: tap to durable (outbox commit), and offline cold start with
// 500 incidents and 5,000 notes on the device under 4x CPU throttling. Prints one line
// "BENCH {json}" that cargo xtask bench reads.
const { test, expect } = require('@playwright/test');
const { Dispatcher, PASSWORD } = require('../specs/hub');

const INCIDENTS = Number(process.env.BENCH_INCIDENTS || 500);
const NOTES_PER_INCIDENT = 10;
const TAPS = 200;
const COLD_STARTS = 5;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
}

async function uuid(page) {
  return page.evaluate(() => crypto.randomUUID());
}

test('device figures', async ({ browser, playwright, baseURL }) => {
  const dispatcher = await Dispatcher.signIn(playwright, baseURL);
  const unitId = await dispatcher.unitId('M14');
  // The unit's own device pushes "available" to end each call, as a crew would.
  const crew = await playwright.request.newContext({ baseURL });
  const session = await (await crew.post('/api/session', { data: { username: 'medic2', password: PASSWORD, unit: 'M14' } })).json();
  const headers = { Authorization: `Bearer ${session.token}` };
  const clientId = '6f1b3f0e-2d7c-4d1e-9a55-0b9c7e1d2a30';
  let seq = 0;
  const seeded = Date.now();
  for (let i = 0; i < INCIDENTS; i++) {
    const incident = await dispatcher.post('/api/incidents', {
      nature_code: 'MEDICAL', priority: 1 + (i % 5), address: `${i} Benchmark Road`,
      cautions: i % 7 === 0 ? ['Dog'] : [], caller_notes: `Caller note 1 for call ${i}`,
    });
    for (let n = 2; n <= NOTES_PER_INCIDENT; n++) {
      await dispatcher.post(`/api/incidents/${incident.id}/notes`, { text: `Caller note ${n} for call ${i}: ${'details '.repeat(8)}` });
    }
    await dispatcher.post(`/api/incidents/${incident.id}/assignments`, { unit_id: unitId });
    if (i < INCIDENTS - 1) {
      seq += 1;
      await crew.post('/api/sync/push', { headers, data: { entries: [{
        client_id: clientId, seq, id: crypto.randomUUID(), at: Date.now(), kind: 'status', payload: { status: 'available' },
      }] } });
    }
  }
  const seedSeconds = (Date.now() - seeded) / 1000;

  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', 'medic2');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.click('[data-unit="M14"]');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // Everything pulled: the one active assignment is listed.
  await expect(page.locator('a.assignment')).toHaveCount(1, { timeout: 120_000 });
  await page.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'delivered');

  // Offline cold start under 4x CPU throttling.
  await context.setOffline(true);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const starts = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const t0 = Date.now();
    await page.reload();
    await expect(page.locator('a.assignment')).toHaveCount(1);
    starts.push(Date.now() - t0);
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });

  // Tap to durable: status taps offline (out of service and available alternate forever).
  await page.click('a.assignment');
  // Available ends the call: held, or from the keyboard, then its undo time runs out.
  await page.focus('[data-status="available"]');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('my-status')).toContainText('Available', { timeout: 20_000 });
  const commits = [];
  const shown = [];
  let last = await page.getByTestId('toast').getAttribute('data-seq');
  for (let i = 0; i < TAPS; i++) {
    const button = page.locator('.status-button').first();
    // The buttons ignore presses for a moment after the last one (a double tap's second
    // tap): time from a press they take, not from the wait before it.
    await expect(button).toHaveAttribute('aria-disabled', 'false');
    const t0 = await page.evaluate(() => performance.now());
    await button.click();
    const handle = await page.waitForFunction((previous) => {
      const toast = document.querySelector('[data-testid=toast]');
      return toast && toast.dataset.state === 'saved' && toast.dataset.seq !== previous
        ? { commit: Number(toast.dataset.commitMs), seq: toast.dataset.seq, at: performance.now() } : null;
    }, last, { polling: 'raf' });
    const { commit, seq, at } = await handle.jsonValue();
    commits.push(commit);
    shown.push(at - t0);
    last = seq;
  }
  const result = {
    seed_seconds: seedSeconds,
    incidents: INCIDENTS,
    notes: INCIDENTS * NOTES_PER_INCIDENT,
    cold_start_ms: starts,
    cold_start_median_ms: percentile(starts, 50),
    taps: TAPS,
    commit_p50_ms: percentile(commits, 50),
    commit_p95_ms: percentile(commits, 95),
    saved_shown_p50_ms: percentile(shown, 50),
    saved_shown_p95_ms: percentile(shown, 95),
  };
  console.log(`BENCH ${JSON.stringify(result)}`);
  await context.close();
});
