// End-to-end: the community investment fund, from an application to an award.
// The coordinator opens a call through the registry form; a visitor who is
// not signed in applies on the portal's form (which makes their account); the
// coordinator makes themself an assessor, scores the application and awards
// it (an amount over the request is refused first, and nothing is saved),
// records the signed agreement and a payment schedule; the applicant sees the
// award on their account page. The public pages are also seen in Hebrew.
// Every page visited is checked with axe-core.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { Visitor, checkedUrls, launchBrowser } from '../lib/browser.mjs';
import { INITIATIVE, startBackbone } from '../lib/server.mjs';

const I = `/i/${INITIATIVE}`;
const P = `/p/${INITIATIVE}`;
const run = randomBytes(3).toString('hex');

const LOCALES = { en: 'en-US', es: 'es-ES', he: 'he-IL' };

/** A day counted from today (UTC), as YYYY-MM-DD. */
function day(offset) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}
const TODAY = day(0);

const CALL = {
  name: `Neighbourhood Grants ${run}`,
  budget: '100000',
  criteria: 'need=50;impact=30;feasibility=20',
};
const APPLICATION = {
  organization: `Tenants of Herzl Street ${run}`,
  contact: 'Yael Cohen',
  email: `applicant-${run}@example.org`,
  password: `E2e-${randomBytes(8).toString('hex')}-pw!`,
  title: `A shared garden on Herzl Street ${run}`,
  description: 'Residents plant and keep a garden together; the older ones teach the children.',
  amount: '18000',
};
const AWARD = { over: '18500', amount: '15000' };
/** Two instalments adding up to the award. */
const SCHEDULE = [
  [day(14), '9000'],
  [day(120), '6000'],
];

let app;
let browser;
/** What the tests build, in order; each test checks that the one before it got its part done. */
const state = { callId: null, applied: false, awarded: false };

before(async () => {
  app = await startBackbone();
  browser = await launchBrowser();
  console.log(`# backbone on ${app.base} (${app.engine}), chromium ${browser.version()}; today ${TODAY}`);
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

/**
 * Submit one of several forms on a page (the one posting to `action`), like
 * `Visitor.submit` does for the last form, and check the page it leads to.
 */
async function submitForm(v, action, { expectStatus = 200, expectPath } = {}) {
  const form = v.page.locator(`main form[method="post"][action="${action}"]`);
  assert.equal(await form.count(), 1, `${v.where()} should have one form posting to ${action}`);
  const from = v.where();
  const navigated = v.page.waitForNavigation({ waitUntil: 'load' });
  await form.locator('button[type="submit"]').first().click();
  const resp = await navigated;
  if (!resp) throw new Error(`submitting the form on ${from} (POST ${action}) led to no navigation`);
  if (resp.status() !== expectStatus) {
    throw new Error(`submitting the form on ${from} (POST ${action}) answered HTTP ${resp.status()}, expected ${expectStatus}\n` +
      (await text(v.page.locator('main'))).slice(0, 1500));
  }
  if (expectPath && !expectPath.test(new URL(v.page.url()).pathname)) {
    throw new Error(`after submitting the form on ${from}, expected to be at ${expectPath} but am at ${v.where()}`);
  }
  await v.check({ note: resp.status() === 200 ? '' : ` (form re-rendered by POST, HTTP ${resp.status()})` });
  return resp;
}

const callPath = () => `${I}/fund/${state.callId}`;

test('the coordinator opens a call through the registry form', async () => {
  const v = await visitor('en', 'Coordinator: new call');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/fund`);
    await v.follow(v.page.locator(`main a[href="${I}/fund-calls/new"]`));
    await v.page.fill('#f-name', CALL.name);
    await v.page.fill('#f-description', 'Small grants for what residents do for each other.');
    await v.page.fill('#f-currency', 'ILS');
    await v.page.fill('#f-budget', CALL.budget);
    await v.page.fill('#f-criteria', CALL.criteria);
    await v.page.fill('#f-eligibility', 'Residents\' groups of Kiryat Malachi.');
    await v.page.fill('#f-opens_on', day(-7));
    await v.page.fill('#f-closes_on', day(30));
    const org = await v.page.locator('#f-organization_id option:not([value=""])').first().getAttribute('value');
    await v.page.selectOption('#f-organization_id', org);
    await v.submit({ expectPath: new RegExp(`^${I}/fund-calls/\\d+$`) });
    state.callId = Number(/(\d+)$/.exec(new URL(v.page.url()).pathname)[1]);

    await v.goto(`${I}/fund`);
    const link = v.page.locator(`main a[href="${callPath()}"]`);
    assert.equal(await text(link), CALL.name, 'the members\' list of calls should name the new call');
    await v.follow(link);
    assert.match(await text(v.page.locator('main')), /No application yet\./);
  });
});

for (const lang of ['en', 'he']) {
  test(`the portal lists the open call and its form (${lang})`, async () => {
    needs('the call', state.callId);
    const v = await visitor(lang, `Portal fund (${lang})`);
    await withDiagnostics(v, async () => {
      await v.goto(`${P}/fund`);
      const section = v.page.locator('main section').filter({ hasText: CALL.name });
      assert.equal(await section.count(), 1, `the portal should list "${CALL.name}" among the open calls`);
      await v.follow(section.locator(`a[href="${P}/fund/${state.callId}/apply"]`));
      assert.equal(await v.page.locator('main form #f-password').count(), 1, 'a signed-out visitor chooses a password');
      assert.equal(await v.page.locator('main [role="alert"]').count(), 0, 'the call is open');
    });
  });
}

test('a signed-out visitor applies and follows the application on their account', async () => {
  needs('the call', state.callId);
  const v = await visitor('en', 'Applicant');
  await withDiagnostics(v, async () => {
    await v.goto(`${P}/fund/${state.callId}/apply`);
    await v.page.fill('#f-organization_name', APPLICATION.organization);
    await v.page.fill('#f-contact_name', APPLICATION.contact);
    await v.page.fill('#f-contact_email', APPLICATION.email);
    await v.page.fill('#f-title', APPLICATION.title);
    await v.page.fill('#f-description', APPLICATION.description);
    await v.page.fill('#f-amount', APPLICATION.amount);
    await v.page.fill('#f-sdg', '11.3');
    await v.page.fill('#f-password', APPLICATION.password);
    await v.submit({ expectPath: /^\/account\/applications$/ });
    const row = v.page.locator('main tbody tr').filter({ hasText: APPLICATION.title });
    assert.equal(await row.count(), 1, 'the new application should be listed on the account page');
    const shown = await text(row);
    assert.ok(shown.includes(CALL.name), `the row names the call: ${shown}`);
    assert.match(shown, /ILS 18,000/, `the amount requested: ${shown}`);
    assert.match(shown, /Submitted, awaiting assessment/);
    state.applied = true;
  });
});

test('the coordinator assesses the application and awards it', async () => {
  needs('the application', state.applied);
  const v = await visitor('en', 'Coordinator: assessment and award');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(callPath());
    // The coordinator makes themself an assessor of the call.
    await v.page.fill('#assessor-email', app.email);
    await v.submit({ expectPath: new RegExp(`^${callPath()}$`) });
    assert.match(await text(v.page.locator('main ul[aria-labelledby="assessors-h"]')), /E2E Coordinator/);

    const row = v.page.locator('main table[aria-labelledby="ranking-h"] tbody tr').filter({ hasText: APPLICATION.title });
    assert.equal(await row.count(), 1, 'the ranking should list the application');
    assert.ok((await text(row)).includes(APPLICATION.email), 'the coordinator sees the contact email');
    await v.follow(row.locator('a'));
    const base = new URL(v.page.url()).pathname;
    assert.match(base, new RegExp(`^${callPath()}/applications/\\d+$`));
    assert.match(await text(v.page.locator('main')), /Not scored yet\./);

    // Scores from 0 to 5 per criterion.
    await v.page.fill('#score-need', '5');
    await v.page.fill('#score-impact', '4');
    await v.page.fill('#score-feasibility', '3');
    await submitForm(v, `${base}/score`, { expectPath: new RegExp(`^${base}$`) });
    const scores = await text(v.page.locator('main table[aria-labelledby="scores-h"]'));
    // 5·0.5 + 4·0.3 + 3·0.2 = 4.30
    assert.match(scores, /E2E Coordinator 5 4 3 4\.30/, `the scores table: ${scores}`);

    // More than the applicant asked for: refused, the reason shown, nothing saved.
    await v.page.fill('#award-amount', AWARD.over);
    await v.page.fill('#awarded-on', TODAY);
    await v.page.fill('#decision', `Steering committee ${run}`);
    await submitForm(v, `${base}/award`, { expectStatus: 422 });
    const alert = v.page.locator('main [role="alert"]');
    assert.equal(await alert.count(), 1, 'the refusal should be announced');
    assert.match(await text(alert), /more than the applicant requested/);
    assert.match(await text(v.page.locator('main')), /Not awarded\./);
    await v.goto(callPath());
    assert.match(await text(v.page.locator('main')), /Awarded: ILS 0/, 'nothing was awarded');
    await v.goto(base);
    assert.equal(await v.page.locator(`main form[action="${base}/award"]`).count(), 1, 'the award form is still there');

    await v.page.fill('#award-amount', AWARD.amount);
    await v.page.fill('#awarded-on', TODAY);
    await v.page.fill('#decision', `Steering committee ${run}`);
    await submitForm(v, `${base}/award`, { expectPath: new RegExp(`^${base}$`) });
    const awarded = await text(v.page.locator('main'));
    assert.match(awarded, new RegExp(`Awarded: ILS 15,000(\\.00)? · ${TODAY}`), `the award: ${awarded.slice(0, 800)}`);
    assert.match(awarded, /Grant agreement signed: not yet/);

    await v.page.fill('#signed-on', TODAY);
    await submitForm(v, `${base}/agreement`, { expectPath: new RegExp(`^${base}$`) });
    assert.match(await text(v.page.locator('main')), new RegExp(`Grant agreement signed: ${TODAY}`));

    await v.page.fill('#schedule', SCHEDULE.map((l) => l.join(' ')).join('\n'));
    await submitForm(v, `${base}/payments`, { expectPath: new RegExp(`^${base}$`) });
    const payments = await text(v.page.locator('main table[aria-labelledby="payments-h"]'));
    assert.match(payments, new RegExp(`${SCHEDULE[0][0]} ILS 9,000(\\.00)? ${SCHEDULE[1][0]} ILS 6,000`), `the payment schedule: ${payments}`);

    // The ranking shows the award and what is left of the budget.
    await v.goto(callPath());
    const summary = await text(v.page.locator('main'));
    assert.match(summary, /Awarded: ILS 15,000(\.00)? · Remaining: ILS 85,000/, summary.slice(0, 500));
    state.awarded = true;
  });
});

test('the applicant sees the award on their account page', async () => {
  needs('the award', state.awarded);
  const v = await visitor('en', 'Applicant: award');
  await withDiagnostics(v, async () => {
    await login(v, { email: APPLICATION.email, password: APPLICATION.password });
    await v.goto('/account/applications');
    const row = v.page.locator('main tbody tr').filter({ hasText: APPLICATION.title });
    assert.equal(await row.count(), 1);
    assert.match(await text(row), /Awarded ILS 15,000/);
  });
});
