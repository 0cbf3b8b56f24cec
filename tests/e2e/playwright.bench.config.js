// Browser benchmarks (cargo xtask bench): same browser set-up as the tests, run one by one.
const base = require('./playwright.config.js');

module.exports = {
  ...base,
  testDir: './bench',
  testMatch: '**/*.bench.js',
  timeout: 600_000,
  reporter: [['line']],
};
