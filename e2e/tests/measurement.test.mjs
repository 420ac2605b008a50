// End-to-end: shared measurement from a partner's grid to the public dashboard.
// The coordinator defines a public monthly indicator reported by one
// organization; a partner enters last month's figure on the grid (first with
// a mistake, which saves nothing and is named next to its cell); the
// coordinator's dashboard and the public dashboard show the figure. Every page
// visited is checked with axe-core.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { Visitor, checkedUrls, launchBrowser } from '../lib/browser.mjs';
import { INITIATIVE, startBackbone } from '../lib/server.mjs';

const I = `/i/${INITIATIVE}`;
const P = `/p/${INITIATIVE}`;
const run = randomBytes(3).toString('hex');

const LOCALES = { en: 'en-US', es: 'es-ES', he: 'he-IL' };

const INDICATOR = {
  code: `e2e_meals_${run}`,
  name: `School meals served ${run}`,
  unit: 'meals',
};
const FIGURE = '1240';

/** Last month as the grid names it (2025-02), by the UTC calendar. */
function lastMonth() {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
const PERIOD = lastMonth();

let app;
let browser;
/** What the tests build, in order; each test checks that the one before it got its part done. */
const state = { indicatorId: null, orgId: null, orgName: null, partner: null, saved: false };

before(async () => {
  app = await startBackbone();
  browser = await launchBrowser();
  state.partner = await app.createUser({ name: `E2E Partner ${run}`, role: 'partner' });
  console.log(`# backbone on ${app.base} (${app.engine}), chromium ${browser.version()}; period ${PERIOD}`);
});

after(async () => {
  await browser?.close();
  await app?.stop();
  console.log(`# axe-core checked ${checkedUrls.size} distinct URL(s):\n${[...checkedUrls].sort().map((u) => `#   ${u}`).join('\n')}`);
});

/** A browser context in one language; bypassCSP lets us inject axe-core. */
async function visitor(lang, name) {
  const context = await browser.newContext({
    locale: LOCALES[lang],
    extraHTTPHeaders: { 'Accept-Language': lang },
    bypassCSP: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return new Visitor(page, { base: app.base, lang, dir: lang === 'he' ? 'rtl' : 'ltr', name });
}

/** Run a test body; on failure add the tail of the server log to the message. */
async function withDiagnostics(v, fn) {
  try {
    await fn();
  } catch (e) {
    const tail = app.log().trim().split('\n').slice(-15).join('\n');
    let extra = `\n  last page: ${v.name}: ${v.page.url()}\n  server log tail:\n${tail}`;
    if (v.problems.length) extra += `\n\n  also found:\n${v.problems.join('\n\n')}`;
    if (e && typeof e === 'object') {
      e.message += extra;
      if (typeof e.stack === 'string') e.stack += extra;
    }
    throw e;
  } finally {
    await v.page.context().close();
  }
  v.assertClean();
}

function needs(what, value) {
  assert.ok(value, `this test needs ${what} from the test before it, which did not get that far`);
}

async function login(v, { email, password }) {
  await v.goto('/login');
  await v.page.fill('#f-email', email);
  await v.page.fill('#f-password', password);
  await v.submit({ expectPath: /^\/$/ });
}

const coordinator = () => ({ email: app.email, password: app.password });

/** The text of an element, whitespace collapsed. */
async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

test('the coordinator defines a public monthly indicator reported by one organization', async () => {
  const v = await visitor('en', 'Coordinator');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    // The organization that will report: the first one the grid offers.
    await v.goto(`${I}/measurement/entry`);
    const option = v.page.locator('#f-partner option:not([value=""])').first();
    state.orgId = await option.getAttribute('value');
    state.orgName = (await option.innerText()).trim();
    assert.ok(state.orgId, 'the grid should offer the initiative\'s organizations');

    await v.goto(`${I}/indicators/new`);
    await v.page.fill('#f-code', INDICATOR.code);
    await v.page.fill('#f-name', INDICATOR.name);
    await v.page.fill('#f-unit', INDICATOR.unit);
    await v.page.selectOption('#f-kind', 'performance');
    await v.page.selectOption('#f-question', 'how_much');
    await v.page.selectOption('#f-polarity', 'higher_is_better');
    await v.page.selectOption('#f-aggregation', 'sum');
    await v.page.selectOption('#f-period_aggregation', 'sum');
    await v.page.selectOption('#f-frequency', 'monthly');
    await v.page.fill('#f-targets', `${PERIOD}=1000`);
    await v.page.fill('#f-reporters', state.orgId);
    await v.page.check('#f-public');
    await v.submit({ expectPath: new RegExp(`^${I}/indicators/\\d+$`) });
    const m = new RegExp(`^${I}/indicators/(\\d+)$`).exec(new URL(v.page.url()).pathname);
    state.indicatorId = Number(m[1]);

    // Nothing reported yet: the dashboard lists the indicator without data,
    // and names the organization among those who have not reported.
    await v.goto(`${I}/measurement`);
    const row = v.page.locator(`#ind-${INDICATOR.code}`);
    assert.equal(await row.count(), 1, `the dashboard should have a row for ${INDICATOR.code}`);
    assert.match(await text(row), /No data yet/);
    const missing = v.page.locator('main ul.missing li').filter({ hasText: state.orgName });
    assert.equal(await missing.count(), 1, `"${state.orgName}" should be listed as not having reported`);
    assert.match(await text(missing), new RegExp(`${INDICATOR.code} ${PERIOD}`));
  });
});

test('a partner enters last month on the grid; a wrong cell saves nothing', async () => {
  needs('the indicator', state.indicatorId);
  const v = await visitor('en', 'Partner');
  await withDiagnostics(v, async () => {
    await login(v, state.partner);
    await v.goto(`${I}/measurement`);
    await v.follow(v.page.locator('main a', { hasText: 'Enter values' }));
    // Choose the period and the organization, then show the grid for them.
    await v.page.fill('#f-period', PERIOD);
    await v.page.selectOption('#f-partner', state.orgId);
    await v.follow(v.page.locator('main form.pick button[type="submit"]'));
    const cell = v.page.locator(`input[name="v:${state.indicatorId}:"]`);
    assert.equal(await cell.count(), 1, `the grid for ${PERIOD} should have the total cell of ${INDICATOR.code}`);
    assert.equal(await cell.inputValue(), '', 'nothing was reported yet');

    // A comma for a decimal point: refused, named next to the cell, kept as typed.
    await cell.fill('1.240,5');
    await v.submit({ expectStatus: 422 });
    const alert = v.page.locator('main [role="alert"]');
    assert.equal(await alert.count(), 1, 'a refused grid should say so in an alert');
    assert.match(await text(alert), /Nothing was saved/);
    const again = v.page.locator(`input[name="v:${state.indicatorId}:"]`);
    assert.equal(await again.inputValue(), '1.240,5', 'what was typed should stay in the cell');
    assert.equal(await again.getAttribute('aria-invalid'), 'true');
    const describedBy = await again.getAttribute('aria-describedby');
    assert.match(await text(v.page.locator(`#${describedBy}`)), /is not a number/);
    // The summary links to the cell.
    const link = alert.locator('a').first();
    assert.equal(await link.getAttribute('href'), `#${await again.getAttribute('id')}`);

    await again.fill(FIGURE);
    await v.submit({ expectPath: new RegExp(`^${I}/measurement/entry$`) });
    const saved = v.page.locator('#saved');
    assert.equal(await saved.count(), 1, 'a saved grid should confirm it');
    assert.equal(await saved.getAttribute('role'), 'status');
    assert.equal(await text(saved), 'Saved: 1 added, 0 changed.');
    assert.equal(await v.page.locator(`input[name="v:${state.indicatorId}:"]`).inputValue(), FIGURE);
    state.saved = true;
  });
});

test('the coordinator\'s dashboard shows the figure, with target and variance', async () => {
  needs('the saved figure', state.saved);
  const v = await visitor('en', 'Coordinator dashboard');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/measurement`);
    const row = v.page.locator(`#ind-${INDICATOR.code}`);
    const shown = await text(row);
    assert.match(shown, new RegExp(`${FIGURE} ${PERIOD}`), `the dashboard row should show ${FIGURE} for ${PERIOD}: ${shown}`);
    assert.match(shown, /1000 by/, 'the target');
    assert.match(shown, /\+24%/, 'the variance to target (1240 − 1000) / 1000');
    assert.equal(await row.locator('svg[role="img"] title').count(), 1, 'a sparkline with a title');
    // The organization has reported now.
    const missing = v.page.locator('main ul.missing li').filter({ hasText: `${INDICATOR.code} ${PERIOD}` });
    assert.equal(await missing.count(), 0, `${INDICATOR.code} ${PERIOD} should no longer be missing`);

    await v.follow(row.locator('a').first());
    const report = v.page.locator('main table.report');
    assert.match(await text(report), new RegExp(`${PERIOD} ${FIGURE} 1000 \\+24%`));
    assert.equal(await v.page.locator('main figure.chart svg[role="img"]').count(), 1);
    await v.goto(`${I}/measurement/batches`);
    assert.match(await text(v.page.locator('main section.batch').first()), /1 added/);
  });
});

for (const lang of ['en', 'he']) {
  test(`the public dashboard shows the figure (${lang})`, async () => {
    needs('the saved figure', state.saved);
    const v = await visitor(lang, `Public dashboard (${lang})`);
    await withDiagnostics(v, async () => {
      await v.goto(`${P}/`);
      await v.follow(v.page.locator(`main a[href="${P}/dashboard"]`));
      const card = v.page.locator('main article.public-indicator').filter({ hasText: INDICATOR.name });
      assert.equal(await card.count(), 1, `the public dashboard should show "${INDICATOR.name}"`);
      const shown = await text(card.locator('dl'));
      assert.ok(shown.includes(FIGURE) && shown.includes(PERIOD), `the latest figure and its period: ${shown}`);
      assert.ok(shown.includes('1000'), `the target: ${shown}`);
      assert.equal(await card.locator('svg[role="img"] desc').count(), 1, 'the chart describes itself');
      // The numbers are there as a table too.
      await card.locator('summary').click();
      assert.match(await text(card.locator('table')), new RegExp(`${PERIOD} ${FIGURE}`));
      await v.check({ note: ' (numbers open)' });
    });
  });
}

test('the coordinator uploads a spreadsheet: a wrong row is named and nothing is saved; the network compares the figure', async () => {
  needs('the saved figure', state.saved);
  const v = await visitor('en', 'Upload and network');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/measurement/import`);
    const csv = `indicator,period,value\n${INDICATOR.code},${PERIOD},1300\n${INDICATOR.code},${PERIOD}x,12\n`;
    await v.page.setInputFiles('#file', { name: 'meals.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await v.submit({ expectPath: /\/measurement\/import\/[0-9a-f]+$/ });
    const errors = await text(v.page.locator('main table'));
    assert.match(errors, /3 period/, `row 3's period should be named: ${errors}`);
    // Nothing was saved: the dashboard still shows the grid's figure.
    await v.goto(`${I}/measurement`);
    assert.match(await text(v.page.locator(`#ind-${INDICATOR.code}`)), new RegExp(`${FIGURE} ${PERIOD}`));
    // The network's comparison of the same indicator.
    await v.goto('/networks');
    await v.follow(v.page.locator('main a[href$="/measurement"]').first());
    await v.page.selectOption('#indicator', INDICATOR.code);
    await v.page.fill('#period', PERIOD);
    const navigated = v.page.waitForNavigation({ waitUntil: 'load' });
    await v.page.locator('main form.pick button[type="submit"]').click();
    await navigated;
    await v.check({ note: ' (compared)' });
    assert.match(await text(v.page.locator('main table tfoot')), new RegExp(FIGURE));
  });
});
