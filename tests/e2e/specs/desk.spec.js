// The dispatcher's desk on a busy shift: an agency with 44 units. At 1280×800 at least 20
// unit rows are in view without scrolling, at 1920×1080 at least 40; a call with no unit and
// a P1 nobody acknowledged are flagged; priorities are in colour and words; a unit can be
// taken off a call; N opens the new-incident form and Escape closes it.
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { OwnHub } = require('./hub');

const PASSWORD = 'desk shift password';
const units = Array.from({ length: 44 }, (_, i) => ({ callsign: `U${String(i + 1).padStart(2, '0')}`, kind: i % 3 === 0 ? 'fire' : i % 3 === 1 ? 'ems' : 'police' }));
const seed = {
  slug: 'busy-county',
  name: 'Busy County',
  users: [
    { username: 'desk', display_name: 'Desk Dispatcher', role: 'dispatcher', password: PASSWORD },
    { username: 'crew', display_name: 'Crew Member', role: 'responder', password: PASSWORD },
  ],
  units,
  incidents: [
    { incident: { nature_code: 'CARDIAC', priority: 1, address: '1 Harbor Road', caller_notes: 'Not breathing' }, assign: ['U01'] },
    { incident: { nature_code: 'THEFT', priority: 3, address: '7 Mill Lane' }, assign: [] },
  ],
};

let hub;
test.beforeAll(async () => {
  hub = OwnHub.withAgency(seed);
  await hub.start();
});
test.afterAll(async () => { await hub.kill(); });

async function signInDesk(browser, viewport) {
  const context = await browser.newContext({ viewport, baseURL: hub.url });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', 'desk');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('board-units').locator('tr[data-unit]')).toHaveCount(44);
  return { context, page };
}

/** Unit rows whose whole box lies inside the viewport, with the page not scrolled. */
async function rowsInView(page) {
  return page.evaluate(() => {
    const height = window.innerHeight;
    return [...document.querySelectorAll('[data-testid=board-units] tr[data-unit]')]
      .filter((row) => { const r = row.getBoundingClientRect(); return r.top >= 0 && r.bottom <= height; }).length;
  });
}

async function shoot(page, name) {
  if (process.env.TENFOUR_SCREENSHOTS) {
    fs.mkdirSync(process.env.TENFOUR_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.TENFOUR_SCREENSHOTS, name) });
  }
}

test('a 1280×800 desk shows 20 units at once, a 1920×1080 desk 40', async ({ browser }) => {
  const small = await signInDesk(browser, { width: 1280, height: 800 });
  await shoot(small.page, 'desk-1280x800.png');
  expect(await rowsInView(small.page)).toBeGreaterThanOrEqual(20);
  await small.context.close();

  const large = await signInDesk(browser, { width: 1920, height: 1080 });
  await large.page.emulateMedia({ colorScheme: 'dark' });
  await shoot(large.page, 'desk-1920x1080-night.png');
  expect(await rowsInView(large.page)).toBeGreaterThanOrEqual(40);
  await large.context.close();
});

// First in the file: the seeded P1 was dispatched moments ago, and U01 is still on it.
test('a desk whose clock runs ten minutes fast flags nothing early: times are read on the hub clock', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: hub.url });
  await context.clock.install({ time: Date.now() + 10 * 60_000 });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', 'desk');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const p1 = page.getByTestId('incident-list').locator('button.incident-row', { hasText: '1 Harbor Road' });
  await expect(p1.locator('.priority')).toHaveText('P1 Emergency');
  // Read on the desk's clock, U01's status would be 10 minutes old and the P1 flagged from
  // the first paint; both are drawn from the same moment.
  const u01 = page.getByTestId('board-units').locator('tr[data-unit="U01"]');
  await expect(u01).toContainText('just now');
  await expect(p1).not.toHaveAttribute('data-flags', /not-acknowledged/);
  // The flag itself still works on that desk.
  await page.fill('input[name=ack-seconds]', '1');
  await page.locator('input[name=ack-seconds]').dispatchEvent('change');
  await expect(p1).toHaveAttribute('data-flags', /not-acknowledged/);
  await context.close();
});

test('calls needing attention are flagged, priorities are in words, a unit comes off a call', async ({ browser }) => {
  const { context, page } = await signInDesk(browser, { width: 1280, height: 800 });
  const list = page.getByTestId('incident-list');
  const p1 = list.locator('button.incident-row', { hasText: '1 Harbor Road' });
  const p3 = list.locator('button.incident-row', { hasText: '7 Mill Lane' });
  await expect(p1.locator('.priority')).toHaveText('P1 Emergency');
  await expect(p1.locator('.priority')).toHaveClass(/\bp1\b/);
  await expect(p3.locator('.priority')).toHaveText('P3 Prompt');
  await expect(p3).toHaveAttribute('data-flags', /no-unit/);
  await expect(p3).toContainText('No unit');
  // U01 has not acknowledged the P1: flagged once the configured time has passed.
  await expect(p1).not.toHaveAttribute('data-flags', /not-acknowledged/);
  await page.fill('input[name=ack-seconds]', '1');
  await page.locator('input[name=ack-seconds]').dispatchEvent('change');
  await expect(p1).toHaveAttribute('data-flags', /not-acknowledged/);
  await expect(p1).toContainText('Not acknowledged: U01');
  await shoot(page, 'desk-flags.png');

  // Take U01 off the P1: the call then has no unit, and U01 is available.
  await p1.click();
  const detail = page.getByTestId('incident-detail');
  page.once('dialog', (dialog) => dialog.accept());
  await detail.getByRole('button', { name: 'Unassign U01' }).click();
  await expect(p1).toHaveAttribute('data-flags', /no-unit/);
  await expect(page.getByTestId('board-units').locator('tr[data-unit="U01"]')).toHaveAttribute('data-status', 'available');
  await expect(detail.getByTestId('on-call').locator('li')).toHaveCount(0);

  // Keyboard: N opens the new-incident form, Escape closes it; typing N in a field types it.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('n');
  const form = page.getByTestId('new-incident');
  await expect(form).toBeVisible();
  await form.locator('input[name=address]').fill('Nine Elms');
  await expect(form.locator('input[name=address]')).toHaveValue('Nine Elms');
  await page.keyboard.press('Escape');
  await expect(form).toHaveCount(0);
  // Whatever the keyboard reaches shows a ring a desk can see across the room.
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { tag: document.activeElement.tagName, style: style.outlineStyle, width: style.outlineWidth };
  });
  expect(ring.tag).not.toBe('BODY');
  expect(ring).toMatchObject({ style: 'solid', width: '3px' });
  await context.close();
});

test('half-written notes and forms survive a reload until sent or discarded', async ({ browser }) => {
  // The dispatcher's new-incident form.
  const { context, page } = await signInDesk(browser, { width: 1280, height: 800 });
  await page.getByRole('button', { name: 'New incident' }).click();
  let form = page.getByTestId('new-incident');
  await form.locator('input[name=address]').fill('12 Quay Street');
  await form.locator('textarea[name=caller_notes]').fill('Caller on the second floor, smoke in hall');
  await page.reload();
  await expect(page.getByTestId('board-units').locator('tr[data-unit]')).toHaveCount(44);
  await page.getByRole('button', { name: 'New incident' }).click();
  form = page.getByTestId('new-incident');
  await expect(form.locator('input[name=address]')).toHaveValue('12 Quay Street');
  await expect(form.locator('textarea[name=caller_notes]')).toHaveValue('Caller on the second floor, smoke in hall');
  await form.getByRole('button', { name: 'Discard draft' }).click();
  await expect(form).toHaveCount(0);
  await page.reload();
  await page.getByRole('button', { name: 'New incident' }).click();
  await expect(page.getByTestId('new-incident').locator('input[name=address]')).toHaveValue('');
  await context.close();

  // The responder's field note.
  const crew = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL: hub.url, hasTouch: true, isMobile: true });
  const phone = await crew.newPage();
  await phone.goto('/');
  await phone.fill('input[name=username]', 'crew');
  await phone.fill('input[name=password]', PASSWORD);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.click('[data-unit="U02"]');
  await expect(phone.getByRole('heading', { name: 'Assignments' })).toBeVisible();
  // U02 has no call: put it on the theft, then write a note there.
  const desk = await signInDesk(browser, { width: 1280, height: 800 });
  await desk.page.getByTestId('incident-list').locator('button.incident-row', { hasText: '7 Mill Lane' }).click();
  const detail = desk.page.getByTestId('incident-detail');
  const u02 = await detail.locator('select[aria-label="Unit to assign"] option', { hasText: 'U02' }).getAttribute('value');
  await detail.locator('select[aria-label="Unit to assign"]').selectOption(u02);
  await detail.getByRole('button', { name: 'Assign' }).click();
  await phone.getByTestId('new-assignment').getByRole('button', { name: 'Acknowledge' }).click();
  await phone.locator('a.assignment').first().click();
  await phone.fill('#field-note', 'Rear door forced, owner says laptop and');
  await phone.reload();
  await expect(phone.locator('#field-note')).toHaveValue('Rear door forced, owner says laptop and');
  await phone.fill('#field-note', 'Rear door forced, owner says laptop and TV gone');
  await phone.getByRole('button', { name: 'Add note' }).click();
  await expect(phone.locator('#field-note')).toHaveValue('');
  await phone.reload();
  await expect(phone.locator('#field-note')).toHaveValue('');
  await crew.close();
  await desk.context.close();
});
