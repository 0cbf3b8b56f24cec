// Phones on an agency's network reach the hub over HTTPS: with a certificate made here, the
// app loads over TLS, its service worker installs and takes control (browsers allow service
// workers only in secure contexts), and plain http:// on the same port is sent to https://.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { OwnHub } = require('./hub');

/** A self-signed certificate for 127.0.0.1, and the SPKI hash Chromium is told to trust. */
function certificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenfour-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const spki = new crypto.X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key, spki: crypto.createHash('sha256').update(spki).digest('base64') };
}

test('over HTTPS the service worker installs and plain HTTP is redirected', async ({ playwright }) => {
  const tls = certificate();
  const hub = new OwnHub(process.env.TENFOUR_DIST, ['--tls-cert', tls.cert, '--tls-key', tls.key]);
  await hub.start();
  expect(hub.url).toMatch(/^https:\/\//);
  const browser = await playwright.chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      `--ignore-certificate-errors-spki-list=${tls.spki}`],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(hub.url.replace('https://', 'http://') + '/');
    expect(page.url()).toBe(`${hub.url}/`);
    await expect(page.locator('input[name=username]')).toBeVisible();
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    // Installed: the app opens with the network gone.
    await context.setOffline(true);
    await page.reload();
    await expect(page.locator('input[name=username]')).toBeVisible();
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await browser.close();
    await hub.kill();
  }
});
