// End-to-end: the open book and funding transitions. The coordinator goes
// through the funding overview, adds an expense to the ledger (a negative
// amount is refused first) and reverses it, opens budget against actual and
// the funding transitions, and tries a schedule year whose shares do not sum
// to 100% (refused, nothing saved); the funding registry lists open from the
// overview. A visitor who is not signed in sees what the coordinator publishes
// in English and Hebrew. Every page visited is checked with axe-core.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { Visitor, checkedUrls, launchBrowser } from '../lib/browser.mjs';
import { INITIATIVE, startBackbone } from '../lib/server.mjs';

const I = `/i/${INITIATIVE}`;
const P = `/p/${INITIATIVE}`;
const run = randomBytes(3).toString('hex');

const LOCALES = { en: 'en-US', es: 'es-ES', he: 'he-IL' };

const ENTRY = { amount: '1234.50', payee: `Print shop ${run}`, reference: `E2E-${run}` };

let app;
let browser;

before(async () => {
  app = await startBackbone();
  browser = await launchBrowser();
  console.log(`# backbone on ${app.base} (${app.engine}), chromium ${browser.version()}`);
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

test('the coordinator goes from the funding overview to the registry lists', async () => {
  const v = await visitor('en', 'Coordinator: overview');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/funding`);
    assert.ok(await v.page.locator('main #received-funders tbody tr').count() > 0, 'the demo funders\' commitments');
    for (const list of ['funders', 'commitments', 'budget-lines', 'cost-items']) {
      await v.goto(`${I}/funding`);
      await v.follow(v.page.locator(`main nav a[href="${I}/${list}"]`));
      assert.ok(await v.page.locator('main table tbody tr').count() > 0, `the demo has ${list}`);
    }
    await v.goto(`${I}/funding`);
    await v.follow(v.page.locator(`main nav a[href^="${I}/funding/budget"]`));
    assert.ok(await v.page.locator('main table').count() > 0, 'budget against actual has tables');
  });
});

test('the coordinator adds an expense to the ledger and reverses it; a negative amount is refused', async () => {
  const v = await visitor('en', 'Coordinator: ledger');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/funding/ledger`);
    assert.equal(await v.page.inputValue('#f-kind'), 'expense');

    // A negative amount: refused, the error next to the field, nothing saved.
    await v.page.fill('#f-amount', `-${ENTRY.amount}`);
    await v.page.fill('#f-payee', ENTRY.payee);
    await v.page.fill('#f-reference', ENTRY.reference);
    await v.submit({ expectStatus: 422 });
    const amount = v.page.locator('#f-amount');
    assert.equal(await amount.getAttribute('aria-invalid'), 'true');
    assert.equal(await amount.getAttribute('aria-describedby'), 'e-amount');
    assert.match(await text(v.page.locator('#e-amount')), /negative|reversing/i);
    assert.equal(await amount.inputValue(), `-${ENTRY.amount}`, 'what was typed stays');
    assert.equal(await v.page.locator('main #errors a[href="#f-amount"]').count(), 1, 'the summary links to the field');
    await v.goto(`${I}/funding/ledger`);
    assert.equal(await v.page.locator('main #entries tr').filter({ hasText: ENTRY.reference }).count(), 0, 'nothing was saved');

    await v.page.fill('#f-amount', ENTRY.amount);
    await v.page.fill('#f-payee', ENTRY.payee);
    await v.page.fill('#f-reference', ENTRY.reference);
    await v.submit({ expectPath: new RegExp(`^${I}/funding/ledger$`) });
    assert.equal(await text(v.page.locator('#saved')), '1 entry added.');
    const row = v.page.locator('main #entries tbody tr').filter({ hasText: ENTRY.reference });
    assert.equal(await row.count(), 1, 'the new entry is in the ledger');
    assert.match(await text(row), /ILS 1,234\.50/);
    const id = (await row.getAttribute('id')).replace(/^entry-/, '');

    // The correction is a reversing entry, after a confirmation.
    await v.follow(row.locator(`a[href="${I}/funding/ledger/${id}/reverse"]`));
    assert.match(await text(v.page.locator('main dl')), /ILS 1,234\.50/);
    await v.submit({ expectPath: new RegExp(`^${I}/funding/ledger$`) });
    assert.equal(await text(v.page.locator('#saved')), `Entry ${id} was reversed.`);
    assert.match(await text(v.page.locator(`#entry-${id}`)), /Reversed by entry \d+/);
    const reversal = v.page.locator('main #entries tbody tr').filter({ hasText: `Reverses entry ${id}` });
    assert.equal(await reversal.count(), 1, 'the reversing entry is in the ledger');
    assert.match(await text(reversal), /ILS -1,234\.50/);
    assert.equal(await v.page.locator(`main a[href="${I}/funding/ledger/${id}/reverse"]`).count(), 0, 'a reversed entry is not reversed twice');
  });
});

test('the coordinator opens the funding transitions; a year whose shares do not sum to 100% is refused', async () => {
  const v = await visitor('en', 'Coordinator: transitions');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/funding/transitions`);
    const item = v.page.locator('main article h3 a').first();
    assert.equal(await item.count(), 1, 'the demo has cost items with schedules');
    await v.follow(item);
    const path = new URL(v.page.url()).pathname;

    const shares = v.page.locator('main form input[id^="share_0_"]');
    const n = await shares.count();
    assert.ok(n > 0, 'the grid has a share per funder');
    const before = await shares.evaluateAll((els) => els.map((e) => e.value));
    assert.ok(await v.page.inputValue('#year_0'), 'the first row is a planned year');
    // 60% + 30% (or 90% alone): not the whole cost.
    for (let k = 0; k < n; k++) await shares.nth(k).fill('');
    await shares.nth(0).fill(n > 1 ? '60' : '90');
    if (n > 1) await shares.nth(1).fill('30');
    await v.submit({ expectStatus: 422 });
    assert.match(await text(v.page.locator('main #form-error')), /Nothing was saved/);
    const error = v.page.locator('main #row_0-e');
    assert.equal(await error.count(), 1, 'the error is beside the year\'s cells');
    assert.match(await text(error), /100/);
    assert.equal(await shares.nth(0).inputValue(), n > 1 ? '60' : '90', 'what was typed stays');

    await v.goto(path);
    const after = await v.page.locator('main form input[id^="share_0_"]').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(after, before, 'nothing was saved');
  });
});

for (const lang of ['en', 'he']) {
  test(`a visitor sees the published funding and the open book (${lang})`, async () => {
    const v = await visitor(lang, `Portal funding (${lang})`);
    await withDiagnostics(v, async () => {
      await v.goto(`${P}/funding`);
      assert.ok(await v.page.locator('main table').count() > 0, 'who pays for what, by year');
      await v.follow(v.page.locator(`main a[href="${P}/funding/book"]`));
      assert.ok(await v.page.locator('main table').count() > 0, 'the book\'s budget against actual');
    });
  });
}
