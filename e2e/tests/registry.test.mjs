// End-to-end: the registry as a coordinator uses it. Two people editing one
// body in two browsers keep both their changes; a duplicate is refused with a
// link to the record that exists; the audit log reads as history (names,
// fields before → after) in Hebrew. Every page is checked with axe-core.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { checkedUrls, launchBrowser } from '../lib/browser.mjs';
import * as session from '../lib/session.mjs';
import { INITIATIVE, startBackbone } from '../lib/server.mjs';

const I = `/i/${INITIATIVE}`;
const run = randomBytes(3).toString('hex');

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
  console.log(`# axe-core checked ${checkedUrls.size} distinct URL(s)`);
});

const visitor = (lang, name) => session.visitor(browser, app, lang, name);
const withDiagnostics = (visitors, fn) => session.withDiagnostics(app, visitors, fn);
const login = (v) => session.login(v, app);

function idFrom(v, kind) {
  const m = new RegExp(`^${I}/${kind}/(\\d+)$`).exec(new URL(v.page.url()).pathname);
  assert.ok(m, `expected to be on a ${kind} record page, but am at ${v.where()}`);
  return Number(m[1]);
}

test('two people edit one body at once and both their changes are kept', async () => {
  const a = await visitor('en', 'A');
  const b = await visitor('en', 'B');
  await withDiagnostics([a, b], async () => {
    await login(a);
    await login(b);
    await a.goto(`${I}/bodies/new`);
    await a.page.fill('#f-name', `Early Years Forum ${run}`);
    await a.page.selectOption('#f-kind', 'assembly');
    await a.page.fill('#f-purpose', 'Plans the year.');
    await a.page.fill('#f-cadence_min_days', '28');
    await a.page.fill('#f-cadence_max_days', '42');
    await a.submit({ expectPath: new RegExp(`^${I}/bodies/\\d+$`) });
    const id = idFrom(a, 'bodies');
    assert.match(await a.page.locator('main [role="status"]').innerText(), /Saved/, 'a save says so');

    // Both open the form; A changes the cadence, B the purpose.
    await a.goto(`${I}/bodies/${id}/edit`);
    await b.goto(`${I}/bodies/${id}/edit`);
    await a.page.fill('#f-cadence_max_days', '56');
    await a.submit({ expectPath: new RegExp(`^${I}/bodies/${id}$`) });
    await b.page.fill('#f-purpose', 'Plans the year with the parents.');
    await b.submit({ expectPath: new RegExp(`^${I}/bodies/${id}$`) });
    const status = await b.page.locator('main [role="status"]').innerText();
    assert.match(status, /their changes are kept too/, `B is told the two saves merged: ${status}`);
    const shown = await b.page.locator('main dl.record').innerText();
    assert.match(shown, /\b56\b/, `A's cadence stands:\n${shown}`);
    assert.match(shown, /with the parents/, `B's purpose stands:\n${shown}`);

    // Now both change the purpose: only that field is asked about.
    await a.goto(`${I}/bodies/${id}/edit`);
    await b.goto(`${I}/bodies/${id}/edit`);
    await a.page.fill('#f-purpose', 'Purpose by A.');
    await a.submit({ expectPath: new RegExp(`^${I}/bodies/${id}$`) });
    await b.page.fill('#f-purpose', 'Purpose by B.');
    await b.page.fill('#f-name', `Early Years Assembly ${run}`);
    await b.submit({ expectStatus: 409 });
    const clash = b.page.locator('#conflict tr.clash');
    assert.equal(await clash.count(), 1, 'exactly one field is asked about');
    assert.equal(await clash.getAttribute('data-field'), 'purpose');
    assert.match(await clash.innerText(), /Purpose by A\./, 'the other value is shown');
    assert.equal(await b.page.inputValue('#f-name'), `Early Years Assembly ${run}`, "B's other change is kept in the form");
    assert.equal(await b.page.inputValue('#f-purpose'), 'Purpose by B.', "B's typing is kept");
    assert.equal(await b.page.getAttribute('#f-purpose', 'aria-describedby'), 'c-purpose');
    await b.submit({ expectPath: new RegExp(`^${I}/bodies/${id}$`) });
    const final = await b.page.locator('main').innerText();
    assert.match(final, /Purpose by B\./);
    assert.match(final, new RegExp(`Early Years Assembly ${run}`));
    assert.match(final, /\b56\b/, "A's first change still stands");
    a.assertClean();
    b.assertClean();
  });
});

test('a duplicate organization is refused with a link to the one that exists', async () => {
  const v = await visitor('en', 'dup');
  await withDiagnostics([v], async () => {
    await login(v);
    await v.goto(`${I}/organizations/new`);
    await v.page.fill('#f-name', `Lod Municipality ${run}`);
    await v.page.selectOption('#f-sector', 'local_government');
    await v.submit({ expectPath: new RegExp(`^${I}/organizations/\\d+$`) });
    const id = idFrom(v, 'organizations');
    await v.goto(`${I}/organizations/new`);
    await v.page.fill('#f-name', `LOD-municipality ${run}.`);
    await v.page.selectOption('#f-sector', 'local_government');
    await v.submit({ expectStatus: 422 });
    const link = v.page.locator(`#e-name a[href="${I}/organizations/${id}"]`);
    assert.equal(await link.count(), 1, 'the error links the existing organization');
    await v.follow(link);
    assert.equal(idFrom(v, 'organizations'), id);
    v.assertClean();
  });
});

test('Hebrew: the audit log names the record and shows each change', async () => {
  const v = await visitor('he', 'audit');
  await withDiagnostics([v], async () => {
    await login(v);
    const name = `Parents Circle ${run}`;
    await v.goto(`${I}/organizations/new`);
    await v.page.fill('#f-name', name);
    await v.page.selectOption('#f-sector', 'civil_society');
    await v.submit({ expectPath: new RegExp(`^${I}/organizations/\\d+$`) });
    const id = idFrom(v, 'organizations');
    await v.goto(`${I}/organizations/${id}/edit`);
    await v.page.selectOption('#f-sector', 'business');
    await v.submit({ expectPath: new RegExp(`^${I}/organizations/${id}$`) });
    await v.goto(`${I}/audit?kind=organization`);
    const row = v.page.locator('table.audit tbody tr').filter({ has: v.page.locator(`a[href="${I}/organizations/${id}"]`) }).first();
    assert.equal(await row.count(), 1, 'the change is listed with a link to the organization');
    const text = await row.innerText();
    assert.ok(text.includes(name), `the organization is named: ${text}`);
    assert.ok(text.includes('מגזר'), `the field is named in Hebrew: ${text}`);
    assert.ok(text.includes('חברה אזרחית') && text.includes('מגזר עסקי'), `before and after in words: ${text}`);
    assert.ok(text.includes('←'), `the arrow points the reading way: ${text}`);
    assert.ok(!text.includes('"sector"'), 'no raw JSON');
    v.assertClean();
  });
});

test('an invitation is accepted from its copied full address', async () => {
  const coord = await visitor('en', 'coordinator');
  const guest = await visitor('en', 'invitee');
  await withDiagnostics([coord, guest], async () => {
    await login(coord);
    await coord.goto(`${I}/access`);
    assert.equal(await coord.page.locator('#f-role option').first().getAttribute('value'), 'viewer', 'the role menu starts at the least privilege');
    assert.equal(await coord.page.inputValue('#f-role'), 'viewer');
    const email = `invitee-${run}@example.org`;
    await coord.page.fill('#f-email', email);
    await coord.page.selectOption('#f-role', 'partner');
    await coord.submit();
    // The full address, as it would be copied from the read-only field.
    const link = await coord.page.inputValue('#f-invite-link');
    assert.match(link, /^https?:\/\/[^/]+\/invite\/\S+$/, `a full address: ${link}`);
    assert.equal(await coord.page.getAttribute('#f-invite-link', 'readonly'), '');
    coord.assertClean();

    await guest.page.goto(link, { waitUntil: 'load' });
    await guest.check();
    const about = await guest.page.locator('main').innerText();
    assert.ok(about.includes('Kiryat Malachi'), `the invitation names the initiative: ${about}`);
    assert.match(about, /Partner/, `and the role: ${about}`);
    await guest.page.fill('#f-display_name', `Invited Partner ${run}`);
    await guest.page.fill('#f-password', `a long enough password ${run}`);
    await guest.submit();
    await guest.goto(I);
    assert.match(await guest.page.locator('main').innerText(), /Kiryat Malachi/, 'the invitee now reads the initiative');
    guest.assertClean();
  });
});

test('a name in the initiative\'s other languages reads in the reader\'s, and Hebrew breadcrumbs point the reading way', async () => {
  const en = await visitor('en', 'English');
  const he = await visitor('he', 'Hebrew');
  await withDiagnostics([en, he], async () => {
    await login(en);
    await login(he);
    // Kiryat Malachi works in Hebrew first: the main fields are Hebrew, and
    // the form offers English, Amharic and Russian.
    await en.goto(`${I}/organizations/new`);
    const details = en.page.locator('details.translations');
    assert.equal(await details.getAttribute('open'), null, 'translations start folded');
    await details.locator('summary').click();
    await en.check({ note: ' (translations open)' });
    assert.equal(await en.page.locator('[name="name@he"]').count(), 0, 'no translation into the first language');
    const hebrew = `מרכז הורים ${run}`;
    const english = `Parents' Centre ${run}`;
    await en.page.fill('#f-name', hebrew);
    await en.page.selectOption('#f-sector', 'civil_society');
    await en.page.fill('[name="name@en"]', english);
    assert.equal(await en.page.getAttribute('[name="name@en"]', 'lang'), 'en');
    await en.submit({ expectPath: new RegExp(`^${I}/organizations/\\d+$`) });
    const id = idFrom(en, 'organizations');
    assert.equal(await en.page.locator('main h1').innerText(), english, 'the English reader reads the English name');
    en.assertClean();

    await he.goto(`${I}/organizations/${id}`);
    assert.equal(await he.page.locator('main h1').innerText(), hebrew, 'the Hebrew reader reads the main text');
    // Breadcrumbs run right to left, and their separators point left.
    const crumbs = he.page.locator('nav.crumbs li');
    const n = await crumbs.count();
    assert.ok(n >= 3, `${n} breadcrumbs`);
    const first = await crumbs.nth(0).boundingBox();
    const last = await crumbs.nth(n - 1).boundingBox();
    assert.ok(first.x > last.x, `the first crumb is on the right in Hebrew (${first.x} vs ${last.x})`);
    const turn = (v) => v.page.evaluate(() => getComputedStyle(document.querySelectorAll('nav.crumbs li')[1], '::before').transform);
    const rtl = await turn(he);
    await en.goto(`${I}/organizations/${id}`);
    const ltr = await turn(en);
    assert.notEqual(rtl, ltr, `the separator turns with the direction (${rtl} / ${ltr})`);
    await he.goto(`${I}/organizations`);
    he.assertClean();
  });
});
