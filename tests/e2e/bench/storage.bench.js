// A responder's device over months of calls (#18): 10,000 incidents dispatched to its unit
// and closed, a thousand at a time, with the device's clock moved on past the 12 hours it
// keeps a closed call after each thousand. What the device holds (records and bytes in its
// IndexedDB) at each thousand's end and after it has forgotten them: it should stay flat.
// Also, on an incident with 200 field notes: the bytes of the change that carries one more
// note, beside the whole incident with its notes (what each note change carried before
// notes travelled as themselves).
// Prints "BENCH_STORAGE_ROUND {json}" per thousand and "BENCH_STORAGE {json}".
const crypto = require('crypto');
const { test, expect } = require('@playwright/test');
const { Dispatcher, OwnHub, PASSWORD } = require('../specs/hub');

const ROUNDS = Number(process.env.BENCH_STORAGE_ROUNDS || 10);
const PER_ROUND = 1000;
/// Incidents taken in at once.
const AT_ONCE = 8;
const NOTES = 200;

/** What the device's store holds: records and bytes per store, closed incidents, and
 * Chromium's own count of the bytes IndexedDB takes on disk. */
async function deviceStorage(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('tenfour');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const held = { records: 0, bytes: 0, incidents: 0, closed: 0 };
    for (const name of db.objectStoreNames) {
      const values = await new Promise((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      held.records += values.length;
      for (const value of values) {
        held.bytes += typeof value === 'string' ? value.length : JSON.stringify(value ?? null).length;
      }
      if (name === 'incidents') {
        held.incidents = values.length;
        for (const value of values) {
          const copy = typeof value === 'string' ? JSON.parse(value) : value;
          if (copy.record.state !== 'active') held.closed += 1;
        }
      }
    }
    db.close();
    const estimate = await navigator.storage.estimate();
    held.on_disk = (estimate.usageDetails && estimate.usageDetails.indexedDB) || estimate.usage;
    return held;
  });
}

test('device storage as calls come and go', async ({ browser, playwright }) => {
  // Ten thousand calls through a real hub and a real phone take longer than the usual budget.
  test.setTimeout(3_600_000);
  const hub = OwnHub.withAgency({
    slug: 'storage-bench',
    name: 'Storage Benchmark Agency',
    users: [
      { username: 'storage-dispatch', display_name: 'Storage Dispatch', role: 'dispatcher', password: PASSWORD },
      { username: 'storage-medic', display_name: 'Storage Medic', role: 'responder', password: PASSWORD },
    ],
    units: [{ callsign: 'S1', kind: 'ems' }],
  });
  await hub.start();
  try {
    const dispatcher = await Dispatcher.signIn(playwright, hub.url, 'storage-dispatch');
    const unitId = await dispatcher.unitId('S1');
    let calls = 0;
    const call = (extra = {}) => dispatcher.post('/api/incidents', {
      nature_code: 'MEDICAL', priority: 1 + (calls % 5), address: `${calls += 1} Storage Road`,
      cautions: calls % 7 === 0 ? ['Dog'] : [], caller_notes: `Caller note for call ${calls}: ${'details '.repeat(8)}`,
      ...extra,
    });

    // The crew's phone, signed in to S1; its clock can be moved on.
    const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 360, height: 640 } });
    const page = await context.newPage();
    await page.clock.install();
    await page.goto('/');
    await page.fill('input[name=username]', 'storage-medic');
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.click('[data-unit="S1"]');
    await expect(page.getByText('No active assignments')).toBeVisible({ timeout: 30_000 });

    /** Waits until the device holds the incident (everything before it has come in). */
    const holds = async (incidentId) => {
      const held = () => page.evaluate((id) => new Promise((resolve, reject) => {
        const open = indexedDB.open('tenfour');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('incidents').objectStore('incidents').count(id);
          request.onsuccess = () => { open.result.close(); resolve(request.result === 1); };
          request.onerror = () => reject(request.error);
        };
      }), incidentId);
      await expect.poll(held, { timeout: 600_000, intervals: [250] }).toBe(true);
    };

    const rounds = [];
    let marker = null;
    const started = Date.now();
    for (let round = 1; round <= ROUNDS; round += 1) {
      if (marker) await dispatcher.post(`/api/incidents/${marker.id}/close`, {});
      // A thousand calls: each dispatched to S1, then closed (a unit is on one call at a
      // time; the calls are taken in several at once).
      for (let i = 0; i < PER_ROUND; i += AT_ONCE) {
        const taken = await Promise.all(Array.from({ length: AT_ONCE }, () => call()));
        for (const incident of taken) {
          await dispatcher.post(`/api/incidents/${incident.id}/assignments`, { unit_id: unitId });
          await dispatcher.post(`/api/incidents/${incident.id}/close`, {});
        }
      }
      // A call left open: once the device holds it, it holds the thousand before it.
      marker = await call();
      await dispatcher.post(`/api/incidents/${marker.id}/assignments`, { unit_id: unitId });
      await holds(marker.id);
      const peak = await deviceStorage(page);

      // 13 hours later (past the 12 hours a closed call is kept), the next change that comes
      // in makes the device sync, and it forgets.
      await page.clock.fastForward('13:00:00');
      await dispatcher.post(`/api/incidents/${marker.id}/notes`, { text: `Round ${round} over` });
      await expect.poll(async () => (await deviceStorage(page)).closed, { timeout: 120_000, intervals: [200] }).toBe(0);
      const after = await deviceStorage(page);
      const figures = {
        incidents_so_far: round * (PER_ROUND + 1),
        peak_incidents: peak.incidents,
        peak_records: peak.records,
        peak_bytes: peak.bytes,
        peak_on_disk: peak.on_disk,
        incidents: after.incidents,
        records: after.records,
        bytes: after.bytes,
        on_disk: after.on_disk,
      };
      rounds.push(figures);
      console.log(`BENCH_STORAGE_ROUND ${JSON.stringify(figures)}`);
    }
    const seconds = (Date.now() - started) / 1000;

    // 200 field notes from the crew on the call still open, then one more: what its change
    // weighs.
    const noted = marker;
    const crew = await playwright.request.newContext({ baseURL: hub.url });
    const session = await (await crew.post('/api/session', { data: { username: 'storage-medic', password: PASSWORD, unit: 'S1' } })).json();
    const headers = { Authorization: `Bearer ${session.token}` };
    const clientId = crypto.randomUUID();
    let seq = 0;
    const notes = (count) => Array.from({ length: count }, () => {
      seq += 1;
      return {
        client_id: clientId, seq, id: crypto.randomUUID(), at: Date.now(), kind: 'field_note',
        payload: { incident_id: noted.id, text: `Field note ${seq}: patient stable, ${'observations '.repeat(6)}` },
      };
    });
    for (let sent = 0; sent < NOTES; sent += 50) {
      const response = await crew.post('/api/sync/push', { headers, data: { entries: notes(50) } });
      expect(response.ok()).toBe(true);
    }
    // The log's head, then the one change the next note makes.
    let head = 1;
    for (;;) {
      const page = await dispatcher.get(`/api/sync/changes?since=${head}&limit=500`);
      head = page.cursor;
      if (!page.more) break;
    }
    const pushed = await crew.post('/api/sync/push', { headers, data: { entries: notes(1) } });
    expect(pushed.ok()).toBe(true);
    const { changes } = await dispatcher.get(`/api/sync/changes?since=${head}`);
    const noteChanges = changes.filter((c) => c.type === 'note');
    expect(noteChanges.length).toBe(1);
    const whole = await dispatcher.get(`/api/incidents/${noted.id}`);
    const result = {
      rounds: ROUNDS,
      seconds,
      notes_on_incident: whole.notes.length,
      note_change_bytes: Buffer.byteLength(JSON.stringify(noteChanges[0])),
      whole_incident_bytes: Buffer.byteLength(JSON.stringify(whole)),
    };
    console.log(`BENCH_STORAGE ${JSON.stringify(result)}`);
    await context.close();
  } finally {
    await hub.kill();
  }
});
