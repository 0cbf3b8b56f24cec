// The dispatcher side of the end-to-end tests, through the hub's API (a separate request
// context: taking the responder's browser offline does not cut it).

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

  /** Every change the hub holds, pulled page by page. */
  async allChanges() {
    let since = 0;
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

module.exports = { Dispatcher, PASSWORD };
