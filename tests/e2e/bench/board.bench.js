// The board in Chromium on a busy shift: 500 units and 10,000 field events, a dispatcher at
// 1280×800. Two figures (targets in #18: 1 s and one frame, 16 ms):
// - first render: from the tap on Sign in in a new browser (the store empty, the board's
//   bundle not yet loaded) to the units and the field feed on screen, and from navigation
//   when the board is opened again (the store filled);
// - an update applied: from the live stream's message reaching the page to the unit's row
//   showing the new status, for status changes sent one at a time.
// Prints "BENCH_BOARD {json}" for cargo xtask bench.
const crypto = require('crypto');
const { test, expect } = require('@playwright/test');
const { OwnHub, PASSWORD } = require('../specs/hub');

const UNITS = 500;
const EVENTS = 10_000;
const UPDATES = 200;
const RENDERS = 3;

const callsign = (i) => `B${String(i).padStart(4, '0')}`;

/** A responder device for a unit: signed in, with its own client id and numbering. */
async function device(request, unit) {
  const response = await request.post('/api/session', { data: { username: 'board-medic', password: PASSWORD, unit } });
  if (!response.ok()) throw new Error(`sign-in of ${unit}: ${response.status()} ${await response.text()}`);
  const { token } = await response.json();
  return { unit, token, client: crypto.randomUUID(), seq: 0, inService: true };
}

/** Sends `count` status changes (available and out of service in turn) in one push. */
async function push(request, dev, count) {
  const entries = [];
  for (let i = 0; i < count; i += 1) {
    dev.seq += 1;
    dev.inService = !dev.inService;
    entries.push({
      client_id: dev.client, seq: dev.seq, id: crypto.randomUUID(), at: Date.now(),
      kind: 'status', payload: { status: dev.inService ? 'available' : 'out_of_service' },
    });
  }
  const response = await request.post('/api/sync/push', { headers: { Authorization: `Bearer ${dev.token}` }, data: { entries } });
  if (!response.ok()) throw new Error(`push of ${dev.unit}: ${response.status()} ${await response.text()}`);
  return dev.inService ? 'available' : 'out_of_service';
}

/** Waits for the units table's first page and the field feed. */
async function boardShown(page) {
  await page.waitForFunction((units) => {
    const rows = document.querySelectorAll('[data-testid=board-units] tbody tr[data-unit]');
    const feed = document.querySelectorAll('[data-testid=feed] li[data-unit]');
    return rows.length >= Math.min(units, 100) && feed.length > 0;
  }, UNITS, { polling: 'raf', timeout: 60_000 });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

test('board figures', async ({ browser, playwright }) => {
  const hub = OwnHub.withAgency({
    slug: 'board-bench',
    name: 'Board Benchmark Agency',
    users: [
      { username: 'board-dispatch', display_name: 'Board Dispatch', role: 'dispatcher', password: PASSWORD },
      { username: 'board-medic', display_name: 'Board Medic', role: 'responder', password: PASSWORD },
    ],
    units: Array.from({ length: UNITS }, (_, i) => ({ callsign: callsign(i), kind: 'ems' })),
  });
  await hub.start();
  try {
    const request = await playwright.request.newContext({ baseURL: hub.url });
    const devices = [];
    for (let i = 0; i < UNITS; i += 1) devices.push(await device(request, callsign(i)));
    // The shift so far: 10,000 field events, 20 a unit, in pushes of 20 (10 at a time).
    const perUnit = EVENTS / UNITS;
    for (let i = 0; i < devices.length; i += 10) {
      await Promise.all(devices.slice(i, i + 10).map((d) => push(request, d, perUnit)));
    }

    const firstSignIn = [];
    const reopen = [];
    let page;
    let context;
    for (let run = 0; run < RENDERS; run += 1) {
      if (context) await context.close();
      context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1280, height: 800 } });
      // Stamps each live-stream change as it reaches the page, before the app's listener runs.
      await context.addInitScript(() => {
        const add = EventTarget.prototype.addEventListener;
        window.__arrivals = [];
        window.__sources = [];
        EventSource.prototype.addEventListener = function listen(type, listener, options) {
          if (!window.__sources.includes(this)) window.__sources.push(this);
          if (type !== 'change') return add.call(this, type, listener, options);
          const stamped = function stamped(event) {
            window.__arrivals.push({ at: performance.now(), data: String(event.data) });
            return listener.call(this, event);
          };
          return add.call(this, type, stamped, options);
        };
      });
      page = await context.newPage();
      await page.goto('/');
      await page.fill('input[name=username]', 'board-dispatch');
      await page.fill('input[name=password]', PASSWORD);
      // A new browser: from the tap on Sign in (the board's bundle still to fetch, the
      // store empty) to the board filled from the hub.
      let started = Date.now();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/board');
      await boardShown(page);
      firstSignIn.push(Date.now() - started);
      // The board opened again (the store filled): from navigation to the board on screen.
      started = Date.now();
      await page.goto('/board');
      await boardShown(page);
      reopen.push(Date.now() - started);
    }

    // Live updates: the page stamps each stream message as it arrives (the board's
    // EventSource listeners are wrapped before the app starts, below) and each row's change
    // of status as it lands in the document.
    await page.evaluate(() => {
      window.__shown = new Map();
      const note = (row, now) => {
        const key = `${row.dataset.unit}:${row.dataset.status}:${window.__round}`;
        if (!window.__shown.has(key)) window.__shown.set(key, now);
      };
      new MutationObserver((records) => {
        const now = performance.now();
        for (const r of records) {
          if (r.type === 'attributes' && r.target.matches('tr[data-unit]')) note(r.target, now);
          for (const node of r.addedNodes) {
            if (node.nodeType !== 1) continue;
            if (node.matches('tr[data-unit]')) note(node, now);
            for (const row of node.querySelectorAll('tr[data-unit]')) note(row, now);
          }
        }
      }).observe(document.querySelector('[data-testid=board-units]'), {
        subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'],
      });
    });
    // The board just opened again: its live stream may still be connecting, and a change
    // made meanwhile reaches it by the pull that precedes the stream, not by the stream.
    await page.waitForFunction(() => window.__sources.some((s) => s.readyState === EventSource.OPEN),
      null, { polling: 'raf', timeout: 10_000 });
    const applied = [];
    const visible = await page.$$eval('[data-testid=board-units] tbody tr[data-unit]', (rows) => rows.map((r) => r.dataset.unit));
    for (let round = 0; round < UPDATES; round += 1) {
      const dev = devices.find((d) => d.unit === visible[round % visible.length]);
      await page.evaluate((r) => { window.__round = r; window.__arrivals = []; }, round);
      const status = await push(request, dev, 1);
      const key = `${dev.unit}:${status}:${round}`;
      await page.waitForFunction((k) => window.__shown.has(k), key, { polling: 'raf', timeout: 10_000 });
      // From the first message about this unit to reach the page to its row showing it.
      const ms = await page.evaluate(({ k, unit }) => {
        const first = window.__arrivals.find((a) => a.data.includes(`"${unit}"`));
        return first ? window.__shown.get(k) - first.at : null;
      }, { k: key, unit: dev.unit });
      if (ms === null) throw new Error(`no stream message about ${dev.unit} reached the page`);
      applied.push(ms);
    }
    await context.close();
    const median = (runs) => [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    applied.sort((a, b) => a - b);
    console.log(`BENCH_BOARD ${JSON.stringify({
      units: UNITS,
      events: EVENTS,
      first_sign_in_median_ms: median(firstSignIn),
      first_sign_in_runs_ms: firstSignIn,
      reopen_median_ms: median(reopen),
      reopen_runs_ms: reopen,
      update_p50_ms: percentile(applied, 0.5),
      update_p95_ms: percentile(applied, 0.95),
    })}`);
    await request.dispose();
  } finally {
    await hub.kill();
  }
});
