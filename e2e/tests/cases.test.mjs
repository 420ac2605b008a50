// End-to-end: a by-name list, worked as Built for Zero works it. A
// coordinator of Riverside Zero opens a new list; a case worker adds a person
// with their identification, records their housing ten days later, sees the
// month's report (one newly identified, one placement, 10.0 days, nobody
// left active) and the audit entries on the person's record; the coordinator
// finds the case worker's entry in the audit log; the report reads in Hebrew
// right to left. Every page visited is checked with axe-core.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { Visitor, checkedUrls, launchBrowser } from '../lib/browser.mjs';
import { startBackbone } from '../lib/server.mjs';

const SLUG = 'riverside-zero';
const I = `/i/${SLUG}`;
const run = randomBytes(3).toString('hex');
const LOCALES = { en: 'en-US', es: 'es-ES', he: 'he-IL' };
const LIST = `E2E list ${run}`;
const FIRST = `Quinn${run}`;

/** The month before this one (UTC) as YYYY-MM, and a day of it. */
function lastMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}
const MONTH = lastMonth();

let app;
let browser;
let coordinator;
let worker;
const state = { listId: null, personId: null, referral: null };

before(async () => {
  app = await startBackbone();
  browser = await launchBrowser();
  coordinator = await app.createUser({ name: 'Riverside Coordinator', role: 'coordinator', initiative: SLUG });
  worker = await app.createUser({ name: 'Casey Worker', role: 'case_worker', initiative: SLUG });
  console.log(`# backbone on ${app.base} (${app.engine}), chromium ${browser.version()}`);
});

after(async () => {
  await browser?.close();
  await app?.stop();
  console.log(`# axe-core checked ${checkedUrls.size} distinct URL(s):\n${[...checkedUrls].sort().map((u) => `#   ${u}`).join('\n')}`);
});

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

async function login(v, who) {
  await v.goto('/login');
  await v.page.fill('#f-email', who.email);
  await v.page.fill('#f-password', who.password);
  await v.submit({ expectPath: /^\/$/ });
}

async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** Submit the form of the page that posts to `action` and check where it leads. */
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

test('the coordinator opens a new by-name list', async () => {
  const v = await visitor('en', 'Coordinator: new list');
  await withDiagnostics(v, async () => {
    await login(v, coordinator);
    await v.goto(`${I}/cases`);
    await v.page.fill('#f-name', LIST);
    await submitForm(v, `${I}/cases`, { expectPath: new RegExp(`^${I}/cases/\\d+$`) });
    state.listId = Number(/(\d+)$/.exec(new URL(v.page.url()).pathname)[1]);
  });
});

test('a case worker adds a person, records identification and housing, and sees the report', async () => {
  needs('a list', state.listId);
  const v = await visitor('en', 'Case worker');
  await withDiagnostics(v, async () => {
    await login(v, worker);
    const list = `${I}/cases/${state.listId}`;
    await v.goto(list);
    await v.page.fill('#p-first_name', FIRST);
    await v.page.fill('#p-last_name', 'Example');
    await v.page.fill('#p-identified_on', `${MONTH}-01`);
    await submitForm(v, `${list}/people`, { expectPath: /\/case-people\/\d+$/ });
    state.personId = Number(/(\d+)$/.exec(new URL(v.page.url()).pathname)[1]);
    const person = `${I}/case-people/${state.personId}`;
    assert.match(await text(v.page.locator('h1')), new RegExp(FIRST));

    await v.page.selectOption('#ev-kind', 'housed');
    await v.page.fill('#ev-occurred_on', `${MONTH}-11`);
    await submitForm(v, `${person}/events`, { expectPath: new RegExp(`^${person}$`) });
    const timeline = await text(v.page.locator('main'));
    assert.match(timeline, /Identified/, 'the timeline shows the identification');
    assert.match(timeline, /Housed/, 'and the housing');
    const history = await text(v.page.locator('#history'));
    assert.match(history, /recorded an event/, 'the record shows the audit entry of the event');
    assert.match(history, /viewed/, 'and of each view');
    assert.match(history, /Casey Worker/, 'naming who');

    await v.goto(`${list}/report?population=all&from=${MONTH}&to=${MONTH}`);
    const cells = await v.page.locator(`#month-${MONTH} td`).allInnerTexts();
    assert.equal(cells[0], '0', 'nobody left active at the end of the month');
    assert.equal(cells[1], '1', 'one newly identified');
    assert.equal(cells[4], '1', 'one housing placement');
    assert.equal(cells[7], '10.0', 'ten days from identification to housing');
  });
});

test('the coordinator finds the case worker\'s entry in the audit log', async () => {
  needs('a person', state.personId);
  const v = await visitor('en', 'Coordinator: audit');
  await withDiagnostics(v, async () => {
    await login(v, coordinator);
    await v.goto(`${I}/audit`);
    const log = await text(v.page.locator('main'));
    assert.match(log, /recorded an event/);
    assert.match(log, /Casey Worker/);
    assert.ok(!log.includes(FIRST), 'the audit log names fields, never the person\'s name');
  });
});

test('the report reads right to left in Hebrew, and a partner sees it without names', async () => {
  needs('a person', state.personId);
  const v = await visitor('he', 'Report (he)');
  await withDiagnostics(v, async () => {
    await login(v, worker);
    await v.goto(`${I}/cases/${state.listId}/report?from=${MONTH}&to=${MONTH}`);
    assert.equal(await v.page.getAttribute('html', 'dir'), 'rtl');
    assert.equal(await v.page.locator(`#month-${MONTH}`).count(), 1);
  });
  const partner = await app.createUser({ name: 'Partner', role: 'partner', initiative: SLUG });
  const p = await visitor('en', 'Partner: report');
  await withDiagnostics(p, async () => {
    await login(p, partner);
    await p.goto(`${I}/cases/${state.listId}/report?from=${MONTH}&to=${MONTH}`);
    assert.ok(!(await text(p.page.locator('main'))).includes(FIRST), 'no name on the report');
    await p.goto(`${I}/cases/${state.listId}`, { status: 403 });
  });
});

test('the coordinator sets the triage tool and a case worker answers it', async () => {
  needs('a person', state.personId);
  const triage = `${I}/cases/${state.listId}/triage`;
  const c = await visitor('en', 'Coordinator: triage tool');
  await withDiagnostics(c, async () => {
    await login(c, coordinator);
    await c.goto(triage);
    await c.page.fill('#f-text_0', 'Sleeping outside');
    await c.page.fill('#f-weight_0', '10');
    await submitForm(c, triage, { expectPath: new RegExp(`^${triage}$`) });
    assert.match(await text(c.page.locator('#questions')), /Sleeping outside/);
  });
  const v = await visitor('es', 'Case worker: triage answers (es)');
  await withDiagnostics(v, async () => {
    await login(v, worker);
    const person = `${I}/case-people/${state.personId}`;
    await v.goto(person);
    await v.page.locator('section[aria-labelledby="triage"] input[type="checkbox"]').first().check();
    await submitForm(v, `${person}/triage`, { expectPath: new RegExp(`^${person}$`) });
    assert.match(await text(v.page.locator('section[aria-labelledby="triage"]')), /10/, 'the score is the weight answered yes');
  });
});

test('a case worker holds the weekly case conference on the demo list and the note carries to next week', async () => {
  const v = await visitor('en', 'Case worker: conference');
  await withDiagnostics(v, async () => {
    await login(v, worker);
    await v.goto(`${I}/cases`);
    const href = await v.page.locator('main tr', { hasText: 'Riverside by-name list' }).locator('a').first().getAttribute('href');
    const list = /^(\/i\/[^/]+\/cases\/\d+)/.exec(href)[1];
    const today = new Date().toISOString().slice(0, 10);
    await v.goto(`${list}/conferencing?on=${today}`);
    const form = v.page.locator('main table form[method="post"]').first();
    const personId = await form.locator('input[name="person_id"]').getAttribute('value');
    const steps = `Call the shelter ${run}`;
    await form.locator('textarea[name="next_steps"]').fill(steps);
    const navigated = v.page.waitForNavigation({ waitUntil: 'load' });
    await form.locator('button[type="submit"]').click();
    const resp = await navigated;
    assert.equal(resp.status(), 200);
    await v.check();
    const next = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await v.goto(`${list}/conferencing?on=${next}`);
    assert.match(await text(v.page.locator(`#person-${personId}`)), new RegExp(steps), 'last week\'s next steps carry');
  });
});

test('a case worker records a referral in Hebrew; a partner sees the measures and no referral', async () => {
  const v = await visitor('he', 'Case worker: referral (he)');
  await withDiagnostics(v, async () => {
    await login(v, worker);
    await v.goto(`${I}/referrals`);
    assert.equal(await v.page.getAttribute('html', 'dir'), 'rtl');
    await v.page.fill('#rf-referral_type', `Housing navigation ${run}`);
    await v.page.selectOption('#rf-risk_level', 'high');
    await v.page.fill('#rf-referred_on', `${MONTH}-03`);
    await v.page.fill('#rf-neighbourhood', 'Eastside');
    await submitForm(v, `${I}/referrals`, { expectPath: new RegExp(`^${I}/referrals/\\d+$`) });
    state.referral = new URL(v.page.url()).pathname;
  });
  const partner = await app.createUser({ name: 'Referral Partner', role: 'partner', initiative: SLUG });
  const p = await visitor('en', 'Partner: referral measures');
  await withDiagnostics(p, async () => {
    await login(p, partner);
    await p.goto(`${I}/referrals?by=neighbourhood`);
    const main = await text(p.page.locator('main'));
    assert.match(main, /Eastside/, 'the measures by neighbourhood');
    assert.ok(!main.includes(run), 'no referral of anyone');
    assert.equal(await p.page.locator('#referrals').count(), 0);
    await p.goto(state.referral, { status: 403 });
  });
});
