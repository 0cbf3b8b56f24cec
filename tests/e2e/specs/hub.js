// The dispatcher side of the end-to-end tests, through the hub's API (a separate request
// context: taking the responder's browser offline does not cut it).

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const PASSWORD = 'tenfour-demo';

async function json(response) {
  const text = await response.text();
  if (!response.ok()) throw new Error(`${response.status()} ${response.url()}: ${text}`);
  return text ? JSON.parse(text) : null;
}

class Dispatcher {
  static async signIn(playwright, baseURL, username = 'dispatch') {
    const request = await playwright.request.newContext({ baseURL });
    const session = await json(await request.post('/api/session', { data: { username, password: PASSWORD } }));
    return new Dispatcher(request, session.token);
  }

  constructor(request, token) {
    this.request = request;
    this.headers = { Authorization: `Bearer ${token}` };
  }

  async get(path) {
    return json(await this.request.get(path, { headers: this.headers }));
  }

  async post(path, data) {
    return json(await this.request.post(path, { headers: this.headers, data }));
  }

  async unitId(callsign) {
    const board = await this.get('/api/board');
    return board.units.find((u) => u.callsign === callsign).id;
  }

  /** Creates an incident and assigns the unit; returns the incident. */
  async dispatch(callsign, incident) {
    const created = await this.post('/api/incidents', incident);
    await this.post(`/api/incidents/${created.id}/assignments`, { unit_id: await this.unitId(callsign) });
    return created;
  }

  /** Every change the hub holds after the first (its seed), pulled page by page: from 0 a
   * new device gets a snapshot, the newest copy of each record, instead of the history. */
  async allChanges() {
    let since = 1;
    const changes = [];
    for (;;) {
      const page = await this.get(`/api/sync/changes?since=${since}&limit=500`);
      changes.push(...page.changes);
      since = page.cursor;
      if (!page.more) return changes;
    }
  }

  /** The field events of one unit, in the order the hub applied them. */
  async fieldEvents(callsign) {
    const changes = await this.allChanges();
    return changes.filter((c) => c.type === 'field_event' && c.data.callsign === callsign).map((c) => c.data);
  }
}

/** Signs in on the app's page as `username`, choosing `unit` when given. */
async function signIn(page, username, unit) {
  await page.goto('/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (unit) await page.click(`[data-unit="${unit}"]`);
}

/** A hub of the test's own, which the test may kill and start again on the same file. */
class OwnHub {
  /** `dist`: the built app to serve (a copy the test may change), by default the real one. */
  constructor(dist = process.env.TENFOUR_DIST, extraArgs = []) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenfour-own-hub-'));
    this.dist = dist;
    this.bind = '127.0.0.1:0';
    this.extraArgs = extraArgs;
  }

  /** A hub of its own whose database starts with the agency `seed` (a seed document). */
  static withAgency(seed) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tenfour-seed-')), `${seed.slug}.json`);
    fs.writeFileSync(file, JSON.stringify(seed));
    return new OwnHub(process.env.TENFOUR_DIST, ['--seed', file]);
  }

  async start() {
    this.process = spawn(process.env.TENFOUR_HUB_BIN, ['--bind', this.bind, '--database', path.join(this.dir, 'hub.db'), '--dist', this.dist, '--demo', ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, RUST_LOG: 'warn' } });
    const lines = readline.createInterface({ input: this.process.stdout });
    this.url = await new Promise((resolve, reject) => {
      lines.on('line', (line) => { if (line.startsWith('listening on ')) resolve(line.slice(13).trim()); });
      this.process.on('exit', (code) => reject(new Error(`hub exited with ${code}`)));
    });
    this.bind = this.url.replace(/^https?:\/\//, '');
  }

  async kill() {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
  }
}

module.exports = { Dispatcher, OwnHub, PASSWORD, signIn };
