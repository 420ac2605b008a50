// End-to-end: a body's governance, from a series of meetings to a public
// decision. The coordinator schedules a fortnightly series of the Steering
// Committee, holds its first meeting (attendance of every member, quorum met,
// marked held), puts a proposal to it by consent, records one member's block
// (the decision would not pass) and then its withdrawal, closes it (passed),
// and residents read it in the portal's decision register, in English and
// Hebrew. Every page visited is checked with axe-core.

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

const SERIES = `Steering Committee ${run}`;
const DECISION = `Open the youth centre on summer evenings ${run}`;

let app;
let browser;
const state = { meetingId: null, held: false, decisionId: null, passed: false };

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

async function login(v) {
  await v.goto('/login');
  await v.page.fill('#f-email', app.email);
  await v.page.fill('#f-password', app.password);
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

test('the coordinator schedules a fortnightly series of the Steering Committee', async () => {
  const v = await visitor('en', 'Coordinator: schedule');
  await withDiagnostics(v, async () => {
    await login(v);
    await v.goto(`${I}/calendar`);
    await v.page.selectOption('#f-body_id', { label: 'Steering Committee' });
    await v.page.fill('#f-title', SERIES);
    await v.page.fill('#f-first_start', `${day(2)}T18:00`);
    await v.page.fill('#f-duration_minutes', '90');
    await v.page.fill('#f-time_zone', 'Asia/Jerusalem');
    await v.page.fill('#f-interval_weeks', '2');
    await v.page.fill('#f-until', day(45));
    await v.page.fill('#f-place', 'City hall, room 3');
    await submitForm(v, `${I}/calendar/series`, { expectPath: new RegExp(`^${I}/calendar$`) });
    const rows = v.page.locator('#upcoming tbody tr').filter({ hasText: SERIES });
    assert.ok((await rows.count()) >= 3, `the calendar should list the new series' meetings (found ${await rows.count()})`);
    const first = await rows.first().getAttribute('id');
    state.meetingId = Number(/meeting-(\d+)/.exec(first)[1]);
  });
});

test('the coordinator holds the first meeting: attendance, quorum, held', async () => {
  needs('the series', state.meetingId);
  const v = await visitor('en', 'Coordinator: hold');
  await withDiagnostics(v, async () => {
    await login(v);
    const room = `${I}/meetings/${state.meetingId}/room`;
    await v.goto(room);
    const present = v.page.locator('main input[type="radio"][value="present"]');
    const n = await present.count();
    assert.ok(n >= 3, `every member of the Steering Committee should be listed for attendance (found ${n})`);
    for (let k = 0; k < n; k++) await present.nth(k).check();
    await submitForm(v, `${I}/meetings/${state.meetingId}/attendance`);
    assert.match(await text(v.page.locator('main')), new RegExp(`${n} of ${n} present`),
      'the quorum line should count every member present');
    await submitForm(v, `${I}/meetings/${state.meetingId}/held`);
    assert.match(await text(v.page.locator('main')), /Held/, 'the meeting should now read as held');
    state.held = true;
  });
});

test('a consent decision: one block, then its withdrawal, then closed as passed', async () => {
  needs('a held meeting', state.held);
  const v = await visitor('en', 'Coordinator: decide');
  await withDiagnostics(v, async () => {
    await login(v);
    await v.goto(`${I}/decisions/new`);
    await v.page.selectOption('#f-body_id', { label: 'Steering Committee' });
    await v.page.selectOption('#f-meeting_id', String(state.meetingId));
    await v.page.fill('#f-title', DECISION);
    await v.page.fill('#f-proposal', 'From July to August the youth centre stays open until 23:00 on weekdays.');
    await v.page.selectOption('#f-process', 'consent');
    await v.page.check('#f-public');
    await v.submit({ expectPath: new RegExp(`^${I}/decisions/\\d+$`) });
    state.decisionId = Number(/(\d+)$/.exec(new URL(v.page.url()).pathname)[1]);

    const positions = `${I}/decisions/${state.decisionId}/positions`;
    await v.goto(positions);
    const members = await v.page.locator('#f-person_id option:not([value=""])').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(members.length >= 3, 'the coordinator records positions for the body\'s members');
    const state_ = async (person, position, reason = '') => {
      await v.page.selectOption('#f-person_id', person);
      await v.page.check(`main input[name="position"][value="${position}"]`);
      await v.page.fill('#f-reason', reason);
      await submitForm(v, positions, { expectPath: new RegExp(`^${positions}$`) });
    };
    await state_(members[0], 'agree');
    await state_(members[1], 'block', 'The staff for the evenings is not in the budget yet.');
    await state_(members[2], 'agree');
    const outcome = () => text(v.page.locator('#outcome-section'));
    assert.match(await outcome(), /Not passed/, 'with a block standing, consent is not given');
    assert.match(await outcome(), /a block stands/);

    await state_(members[1], 'agree', 'The evening staff is now in the summer budget line.');
    assert.match(await outcome(), /Passed/, 'once the block is withdrawn, consent is given');
    assert.match(await text(v.page.locator('main')), /The staff for the evenings is not in the budget yet\./,
      'the withdrawn block stays in the history');
    await submitForm(v, `${I}/decisions/${state.decisionId}/close`, { expectPath: new RegExp(`^${positions}$`) });
    assert.match(await outcome(), /Passed/);
    assert.equal(await v.page.locator('main form[action$="/positions"]').count(), 0, 'a closed decision takes no more positions');
    state.passed = true;
  });
});

for (const lang of ['en', 'he']) {
  test(`residents read the decision in the portal's register (${lang})`, async () => {
    needs('a closed public decision', state.passed);
    const v = await visitor(lang, `Portal register (${lang})`);
    await withDiagnostics(v, async () => {
      await v.goto(`${P}/decisions`);
      const entry = v.page.locator('main').getByText(DECISION);
      assert.equal(await entry.count(), 1, `the public register should list "${DECISION}"`);
      const page = await text(v.page.locator('main'));
      assert.doesNotMatch(page, /not in the budget yet/, 'positions and reasons stay off the portal');
      await v.goto(`${P}/meetings`);
    });
  });
}
