// An agency runs itself: an admin at a desk creates a unit and a medic, the medic signs in on a
// phone with the temporary password, must choose their own, and takes the new unit; a disabled
// medic's open app is signed out; a roster file is imported whole or not at all.
const { test, expect } = require('@playwright/test');
const { OwnHub, PASSWORD } = require('./hub');

const SHOTS = process.env.TENFOUR_SCREENSHOTS;

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function signInAsAdmin(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: url });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  return { context, page };
}

test('an admin adds a unit and a medic who signs in, chooses a password and is signed out when disabled', async ({ browser }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    const { context: desk, page: admin } = await signInAsAdmin(browser, hub.url);
    const errors = [];
    admin.on('pageerror', (e) => errors.push(e.message));

    await admin.getByRole('tab', { name: 'Units' }).click();
    await admin.fill('input[name=new-callsign]', 'm40');
    await admin.selectOption('select[name=new-kind]', 'ems');
    await admin.getByRole('button', { name: 'Create unit' }).click();
    await expect(admin.locator('[data-callsign="M40"]')).toBeVisible();

    await admin.getByRole('tab', { name: 'Users' }).click();
    await admin.fill('input[name=new-username]', 'medic40');
    await admin.fill('input[name=new-display-name]', 'Pat Doe');
    await admin.getByRole('button', { name: 'Create user' }).click();
    const shown = admin.getByTestId('temporary-password');
    await expect(shown).toBeVisible();
    const temporary = (await shown.locator('code').textContent()).trim();
    expect(temporary.length).toBeGreaterThanOrEqual(12);
    await shot(admin, 'admin-users-1280x800');

    // The medic, on a phone, at night.
    const phone = await browser.newContext({ viewport: { width: 360, height: 640 }, baseURL: hub.url, colorScheme: 'dark' });
    const medic = await phone.newPage();
    await medic.goto('/');
    await medic.fill('input[name=username]', 'medic40');
    await medic.fill('input[name=password]', temporary);
    await medic.getByRole('button', { name: 'Sign in' }).click();
    const form = medic.getByTestId('change-password');
    await expect(form).toBeVisible();
    await shot(medic, 'change-password-360x640-night');
    // A common password is refused with a reason, before anything is sent.
    await medic.fill('input[name=new-password]', 'password1234');
    await medic.fill('input[name=repeat-password]', 'password1234');
    await medic.getByRole('button', { name: 'Save password' }).click();
    await expect(form.getByRole('alert')).toContainText('commonly used');
    await medic.fill('input[name=new-password]', 'river crossing at dawn');
    await medic.fill('input[name=repeat-password]', 'river crossing at dawn');
    await medic.getByRole('button', { name: 'Save password' }).click();
    await medic.click('[data-unit="M40"]');
    await expect(medic.getByTestId('unit-badge')).toHaveText('M40');

    // Disabled at the desk: the open app on the phone is signed out within seconds.
    await admin.locator('[data-username="medic40"]').getByRole('button', { name: 'Disable' }).click();
    await expect(admin.locator('[data-username="medic40"]')).toContainText('disabled');
    await expect(medic.locator('input[name=password]')).toBeVisible({ timeout: 10_000 });

    // The audit log shows who did it.
    await admin.getByRole('tab', { name: 'Audit log' }).click();
    await expect(admin.getByTestId('audit')).toContainText('user disabled');
    await expect(admin.getByTestId('audit')).toContainText('medic40');
    await shot(admin, 'admin-audit-1280x800');
    expect(errors).toEqual([]);
    await phone.close();
    await desk.close();
  } finally {
    await hub.kill();
  }
});

test('a roster with one bad row imports nothing and names the row; a good one imports all', async ({ browser }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    const { context, page } = await signInAsAdmin(browser, hub.url);
    await page.getByRole('tab', { name: 'Roster import' }).click();
    const header = 'type,username,display_name,role,callsign,unit_kind';
    const bad = `${header}\nuser,medic50,"Roe, Jo",responder,,\nunit,,,,M50,boat\n`;
    await page.fill('textarea[name=roster-text]', bad);
    await page.getByRole('button', { name: 'Check and import' }).click();
    await expect(page.locator('.admin-section [role=alert]')).toContainText('line 3');
    await expect(page.locator('.admin-section [role=alert]')).toContainText('boat');
    await shot(page, 'admin-roster-error-1280x800');
    await page.getByRole('tab', { name: 'Users' }).click();
    await expect(page.getByTestId('users')).toContainText('medic1');
    await expect(page.getByTestId('users')).not.toContainText('medic50');

    await page.getByRole('tab', { name: 'Roster import' }).click();
    await page.fill('textarea[name=roster-text]', bad.replace('boat', 'ems'));
    await page.getByRole('button', { name: 'Check and import' }).click();
    await expect(page.locator('.admin-section [role=status]')).toContainText('Imported 1 users and 1 units');
    await expect(page.getByTestId('roster-passwords')).toContainText('medic50');
    await page.getByRole('tab', { name: 'Units' }).click();
    await expect(page.locator('[data-callsign="M50"]')).toBeVisible();
    await context.close();
  } finally {
    await hub.kill();
  }
});

test('an admin sets the check-in timers and the emergency number; a crew already on shift gets the new number', async ({ browser }) => {
  const hub = new OwnHub();
  await hub.start();
  try {
    // A medic is on shift, online, before the change.
    const crewContext = await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, baseURL: hub.url });
    const crew = await crewContext.newPage();
    await crew.goto('/');
    await crew.fill('input[name=username]', 'medic1');
    await crew.fill('input[name=password]', PASSWORD);
    await crew.getByRole('button', { name: 'Sign in' }).click();
    await crew.click('[data-unit="M12"]');
    await expect(crew.getByTestId('new-assignment')).toBeVisible();

    const { context: desk, page: admin } = await signInAsAdmin(browser, hub.url);
    await admin.getByRole('tab', { name: 'Safety' }).click();
    const rules = admin.getByTestId('check-in-rules');
    // The demo's timers: on scene every 20 minutes, every 10 on P1 calls.
    await expect(rules.locator('tbody tr')).toHaveCount(2);
    await expect(rules).toContainText('20 min');
    await expect(admin.locator('input[name=emergency-phone]')).toHaveValue('+15035550100');

    // A rule that cannot work is refused on the spot, with what to change.
    await admin.selectOption('select[name=timer-status]', 'transporting');
    await admin.fill('input[name=timer-every]', '15');
    await admin.fill('input[name=timer-warn]', '15');
    await admin.getByRole('button', { name: 'Add timer' }).click();
    await expect(admin.getByRole('alert')).toContainText('warn_seconds less than every_seconds');
    await admin.fill('input[name=timer-warn]', '2');
    await admin.getByRole('button', { name: 'Add timer' }).click();
    await admin.getByRole('button', { name: 'Remove On scene P1' }).click();
    await admin.fill('input[name=emergency-phone]', '+1 503 555 0199');
    // Crews standing still on a call report every 15 s unless the agency chooses otherwise.
    await expect(admin.locator('input[name=position-interval]')).toHaveValue('15');
    await admin.fill('input[name=position-interval]', '30');
    await admin.getByTestId('save-safety').click();
    await expect(admin.getByTestId('safety').getByRole('status')).toContainText('Saved');
    await expect(rules.locator('tbody tr')).toHaveCount(2);
    await expect(rules).toContainText('Transporting');
    await expect(rules).not.toContainText('P1');
    await shot(admin, 'admin-safety-1280x800');

    // Kept by the hub: a fresh look shows the same.
    await admin.reload();
    await admin.getByRole('tab', { name: 'Safety' }).click();
    await expect(rules).toContainText('Transporting');
    await expect(admin.locator('input[name=emergency-phone]')).toHaveValue('+1 503 555 0199');
    await expect(admin.locator('input[name=position-interval]')).toHaveValue('30');

    // The medic's phone learned the new number live: pressed with no network, it offers it.
    await crewContext.setOffline(true);
    await crew.getByTestId('emergency-button').hover();
    await crew.mouse.down();
    await expect(crew.getByTestId('emergency-call')).toHaveAttribute('href', 'tel:+1 503 555 0199');
    await crew.mouse.up();
    await desk.close();
    await crewContext.close();
  } finally {
    await hub.kill();
  }
});
