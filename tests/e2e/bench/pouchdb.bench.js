// The same device figures with what a JavaScript team would pick: PouchDB in the same
// Chromium, same data (500 incidents, 5,000 notes), same throttling. Prints "BENCH_POUCH {json}".
const { test } = require('@playwright/test');
const path = require('path');

const INCIDENTS = 500;
const NOTES_PER_INCIDENT = 10;
const TAPS = 200;
const COLD_STARTS = 5;
const POUCH = path.join(__dirname, '..', 'node_modules', 'pouchdb', 'dist', 'pouchdb.min.js');

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
}

test('pouchdb figures', async ({ browser, baseURL }) => {
  // PouchDB's bundle is not part of the app: serve it beside it and let it run under no CSP.
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL, bypassCSP: true });
  await context.route('**/pouchdb.min.js', (route) => route.fulfill({ path: POUCH, contentType: 'text/javascript' }));
  const page = await context.newPage();
  await page.goto('/pouch');
  await page.addScriptTag({ url: '/pouchdb.min.js' });
  await page.evaluate(async ({ incidents, notes }) => {
    const db = new PouchDB('bench-pouch');
    const docs = [];
    for (let i = 0; i < incidents; i++) {
      docs.push({ _id: `incident-${String(i).padStart(4, '0')}`, type: 'incident', priority: 1 + (i % 5),
        address: `${i} Benchmark Road`, active: i === incidents - 1 });
      for (let n = 0; n < notes; n++) {
        docs.push({ _id: `note-${i}-${n}`, type: 'note', incident: i, text: `Caller note ${n} for call ${i}: ${'details '.repeat(8)}` });
      }
    }
    for (let k = 0; k < docs.length; k += 500) await db.bulkDocs(docs.slice(k, k + 500));
  }, { incidents: INCIDENTS, notes: NOTES_PER_INCIDENT });

  // Cold start: navigation, the library, every record read, the active assignment found.
  await context.setOffline(true);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const starts = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const t0 = Date.now();
    await page.reload();
    await page.addScriptTag({ url: '/pouchdb.min.js' });
    await page.evaluate(async () => {
      const db = new PouchDB('bench-pouch');
      const all = await db.allDocs({ include_docs: true });
      const active = all.rows.map((r) => r.doc).filter((d) => d.type === 'incident' && d.active);
      if (active.length !== 1) throw new Error('no active assignment');
    });
    starts.push(Date.now() - t0);
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });

  // Tap to durable: a real tap on a button whose handler writes one document, as the app's
  // status buttons do (the tap matters: Chromium renders a frame after an input event before
  // it runs IndexedDB's work, about 12 ms here, for any page).
  await page.evaluate(() => {
    const db = new PouchDB('bench-pouch');
    const button = document.createElement('button');
    button.id = 'tap';
    button.textContent = 'Available';
    button.style.cssText = 'width:200px;height:80px';
    window.taps = [];
    button.addEventListener('click', async () => {
      const t0 = performance.now();
      const i = window.taps.length;
      await db.put({ _id: `status-${i}-${Date.now()}`, type: 'status', status: i % 2 ? 'available' : 'out_of_service', at: Date.now() });
      window.taps.push(performance.now() - t0);
    });
    document.body.appendChild(button);
  });
  for (let i = 0; i < TAPS; i++) {
    await page.click('#tap');
    await page.waitForFunction((n) => window.taps.length === n, i + 1, { polling: 'raf' });
  }
  const commits = await page.evaluate(() => window.taps);
  const result = {
    cold_start_median_ms: percentile(starts, 50),
    commit_p50_ms: percentile(commits, 50),
    commit_p95_ms: percentile(commits, 95),
  };
  console.log(`BENCH_POUCH ${JSON.stringify(result)}`);
  await context.close();
});
