// Playwright drives Debian's Chromium (never a downloaded browser) against a hub started by
// `cargo xtask test`, which passes its address in TENFOUR_URL.
const { defineConfig } = require('@playwright/test');

const baseURL = process.env.TENFOUR_URL;
if (!baseURL) {
  throw new Error('TENFOUR_URL is not set: run the end-to-end tests with `cargo xtask test e2e`');
}

module.exports = defineConfig({
  testDir: './specs',
  workers: 1,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL,
    serviceWorkers: 'allow',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
});
