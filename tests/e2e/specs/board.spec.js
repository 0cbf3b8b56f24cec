// Dispatcher and responder side by side: the dispatcher creates an incident and assigns a
// unit on the board; the responder gets it live; the responder's statuses reach the board
// without a reload; what the responder did offline arrives after reconnect and is placed at
// the time it was pressed; a unit that goes quiet is flagged after the configured time.
const { test, expect } = require('@playwright/test');
const { Dispatcher, signIn } = require('./hub');

test('the board follows the field live, offline updates included', async ({ browser, baseURL, playwright }) => {
  const errors = [];
  const desk = await browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL });
  const board = await desk.newPage();
  board.on('pageerror', (e) => errors.push(e.message));
  await signIn(board, 'dispatch');
  await expect(board.getByTestId('board-units')).toBeVisible();
  const row = board.getByTestId('board-units').locator('tr[data-unit="E3"]');
  await expect(row).toHaveAttribute('data-status', 'available');

  const truck = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL });
  const field = await truck.newPage();
  field.on('pageerror', (e) => errors.push(e.message));
  await signIn(field, 'fire1', 'E3');
  await expect(field.getByRole('heading', { name: 'Assignments' })).toBeVisible();

  // The dispatcher creates the incident on the board and assigns E3.
  await board.getByRole('button', { name: 'New incident' }).click();
  const form = board.getByTestId('new-incident');
  await form.locator('select[name=nature]').selectOption('FIRE-STRUCT');
  await form.locator('input[name=address]').fill('9 Spruce Way');
  await form.locator('input[name=caller_name]').fill('Lou Park');
  await form.locator('input[name=callback]').fill('503 555 0177');
  await form.locator('textarea[name=cautions]').fill('Propane tank in garage');
  await form.locator('textarea[name=caller_notes]').fill('Smoke from the garage, family outside <script>window.pwned=1</script>');
  await form.getByRole('button', { name: 'Create incident' }).click();
  const detail = board.getByTestId('incident-detail');
  await expect(detail).toContainText('9 Spruce Way');
  const e3 = await detail.locator('select[aria-label="Unit to assign"] option', { hasText: 'E3' }).getAttribute('value');
  await detail.locator('select[aria-label="Unit to assign"]').selectOption(e3);
  await detail.getByRole('button', { name: 'Assign' }).click();
  await expect(row).toHaveAttribute('data-status', 'dispatched');

  // The responder gets it live and acknowledges; the board follows without a reload.
  const alert = field.getByTestId('new-assignment');
  await expect(alert).toContainText('9 Spruce Way');
  await expect(alert).toContainText('Propane tank in garage');
  await alert.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(row).toHaveAttribute('data-status', 'acknowledged');

  await field.locator('a.assignment').first().click();
  const tapped = Date.now();
  await field.click('[data-status="en_route"]');
  await expect(row).toHaveAttribute('data-status', 'en_route');
  const tapToBoard = Date.now() - tapped;
  console.log(`tap to board (online): ${tapToBoard} ms`);

  // Offline, the crew arrives and writes a note; meanwhile dispatch adds a caller note.
  await truck.setOffline(true);
  await expect(field.locator('.connection')).toHaveAttribute('data-state', 'offline');
  await field.click('[data-status="on_scene"]');
  await field.fill('#field-note', 'Garage fully involved, tank venting');
  await field.getByRole('button', { name: 'Add note' }).click();
  await expect(field.getByTestId('pending-count')).toHaveText('2 waiting');
  const dispatcher = await Dispatcher.signIn(playwright, baseURL);
  const incidents = (await dispatcher.get('/api/board')).incidents;
  const incident = incidents.find((i) => i.address === '9 Spruce Way');
  await dispatcher.post(`/api/incidents/${incident.id}/notes`, { text: 'Caller says a neighbour has a hose' });
  await expect(detail).toContainText('Caller says a neighbour has a hose');
  await expect(row).toHaveAttribute('data-status', 'en_route');

  // Back online: the board shows what happened, where it happened in time.
  await truck.setOffline(false);
  await expect(row).toHaveAttribute('data-status', 'on_scene');
  const onScene = board.locator('.feed li[data-unit="E3"][data-status="on_scene"]');
  await expect(onScene).toHaveCount(1);
  const pressed = Number(await onScene.getAttribute('data-at'));
  const received = Number(await onScene.getAttribute('data-received-at'));
  expect(received).toBeGreaterThan(pressed);
  const timeline = detail.getByTestId('incident-timeline');
  await expect(timeline).toContainText('Garage fully involved, tank venting');
  const lines = await timeline.locator('li .note-text').allTextContents();
  const at = (text) => lines.indexOf(text);
  // Pressed before the caller note was added, so placed before it, though it arrived after.
  expect(at('On scene')).toBeGreaterThanOrEqual(0);
  expect(at('On scene')).toBeLessThan(at('Caller says a neighbour has a hose'));
  expect(at('Garage fully involved, tank venting')).toBeLessThan(at('Caller says a neighbour has a hose'));
  await expect(detail.getByTestId('neris').locator('tr[data-unit="E3"] td').nth(3)).not.toHaveText('—');

  // A unit whose status does not change is flagged after the configured time (3 s here).
  await board.locator('input[name="stale-minutes"]').fill('0.05');
  await board.locator('input[name="stale-minutes"]').dispatchEvent('change');
  await expect(row).toHaveAttribute('data-flags', /stale/, { timeout: 15_000 });
  await expect(board.getByTestId('board-units').locator('tr[data-unit="P11"]')).not.toHaveAttribute('data-flags', /stale/);

  await expect(timeline).toContainText('family outside <script>window.pwned=1</script>');
  expect(await board.evaluate(() => window.pwned)).toBeUndefined();
  expect(errors).toEqual([]);
  await desk.close();
  await truck.close();
});
