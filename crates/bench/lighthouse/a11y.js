// Lighthouse 12 accessibility of the screens people work on, signed in, in Debian's Chromium:
// the sign-in page, the responder's assignments and incident (phone), the dispatcher's board
// (desk). Playwright signs in inside a persistent profile whose DevTools port Lighthouse
// drives, so the audited pages see the same session and IndexedDB. Prints a
// `LIGHTHOUSE_ROW | screen | score | failing audits |` line per screen for `cargo xtask bench`;
// a benchmark reports, it never fails on a score.
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.TENFOUR_URL;
const PASSWORD = 'tenfour-demo';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
    server.on('error', reject);
  });
}

async function browser(viewport) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenfour-lighthouse-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport,
    args: [...ARGS, `--remote-debugging-port=${port}`],
  });
  return { context, port, page: context.pages()[0] || await context.newPage() };
}

async function audit(lighthouse, port, url, desktop) {
  const flags = { port, output: 'json', logLevel: 'error', onlyCategories: ['accessibility'], disableStorageReset: true };
  const settings = desktop
    ? { formFactor: 'desktop', screenEmulation: { mobile: false, width: 1280, height: 800, deviceScaleFactor: 1, disabled: false } }
    : { formFactor: 'mobile', screenEmulation: { mobile: true, width: 360, height: 640, deviceScaleFactor: 2, disabled: false } };
  const config = { extends: 'lighthouse:default', settings: { ...settings, onlyCategories: ['accessibility'] } };
  const result = await lighthouse(url, flags, config);
  const failed = Object.values(result.lhr.audits)
    .filter((a) => a.scoreDisplayMode === 'binary' && a.score === 0)
    .map((a) => a.id);
  return { score: Math.round(result.lhr.categories.accessibility.score * 100), failed };
}

async function signIn(page, username, unit) {
  await page.goto(`${BASE}/`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (unit) await page.click(`[data-unit="${unit}"]`);
}

(async () => {
  const { default: lighthouse } = await import('lighthouse');
  const rows = [];
  const phone = await browser({ width: 360, height: 640 });
  await phone.page.goto(`${BASE}/`);
  await phone.page.waitForSelector('input[name=username]');
  rows.push({ screen: 'Sign-in (phone)', ...(await audit(lighthouse, phone.port, `${BASE}/`, false)) });
  await signIn(phone.page, 'medic1', 'M12');
  const alert = phone.page.getByTestId('new-assignment');
  await alert.getByRole('button', { name: 'Acknowledge' }).click();
  await alert.waitFor({ state: 'hidden' });
  rows.push({ screen: 'Assignments (responder, phone)', ...(await audit(lighthouse, phone.port, `${BASE}/`, false)) });
  const href = await phone.page.locator('a.assignment').first().getAttribute('href');
  rows.push({ screen: 'Incident (responder, phone)', ...(await audit(lighthouse, phone.port, `${BASE}${href}`, false)) });
  await phone.context.close();

  const desk = await browser({ width: 1280, height: 800 });
  await signIn(desk.page, 'dispatch');
  await desk.page.getByTestId('board-units').waitFor();
  rows.push({ screen: 'Board (dispatcher, 1280×800)', ...(await audit(lighthouse, desk.port, `${BASE}/board`, true)) });
  await desk.context.close();
  for (const row of rows) {
    console.log(`LIGHTHOUSE_ROW | ${row.screen} | ${row.score} | ${row.failed.join(', ') || 'none'} |`);
  }
})().catch((e) => { console.error(e); process.exit(1); });
