// End-to-end: a coordinator builds a partnership body in a browser, in English
// and in Hebrew, and sees who is at the table; bad input is refused. Every page
// visited is checked with axe-core.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { Visitor, checkedUrls, launchBrowser } from '../lib/browser.mjs';
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
  console.log(`# axe-core checked ${checkedUrls.size} distinct URL(s):\n${[...checkedUrls].sort().map((u) => `#   ${u}`).join('\n')}`);
});

/** A browser context in one language; bypassCSP lets us inject axe-core. */
async function visitor(lang, name) {
  const he = lang === 'he';
  const context = await browser.newContext({
    locale: he ? 'he-IL' : 'en-US',
    extraHTTPHeaders: { 'Accept-Language': lang },
    bypassCSP: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return new Visitor(page, { base: app.base, lang, dir: he ? 'rtl' : 'ltr', name });
}

/** Run a test body; on failure add the tail of the server log to the message. */
async function withDiagnostics(v, fn) {
  try {
    await fn();
  } catch (e) {
    const tail = app.log().trim().split('\n').slice(-15).join('\n');
    let extra = `\n  last page: ${v.page.url()}\n  server log tail:\n${tail}`;
    // Report page-check problems too, so one run shows everything.
    if (v.problems.length) extra += `\n\n  also found:\n${v.problems.join('\n\n')}`;
    if (e && typeof e === 'object') {
      e.message += extra;
      // Node prints the stack, which was built with the old message.
      if (typeof e.stack === 'string') e.stack += extra;
    }
    throw e;
  } finally {
    await v.page.context().close();
  }
  v.assertClean();
}

function idFrom(v, kind) {
  const m = new RegExp(`^${I}/${kind}/(\\d+)$`).exec(new URL(v.page.url()).pathname);
  assert.ok(m, `expected to be on a ${kind} record page, but am at ${v.where()}`);
  return Number(m[1]);
}

async function login(v) {
  await v.goto('/login');
  await v.page.fill('#f-email', app.email);
  await v.page.fill('#f-password', app.password);
  await v.submit({ expectPath: /^\/$/ });
  const initiativeLink = v.page.locator(`main a[href="${I}"]`);
  assert.ok((await initiativeLink.count()) >= 1, `after logging in, the dashboard at / should link to ${I}`);
  await v.follow(initiativeLink.first());
  const current = v.page.locator('nav.sections a[aria-current="page"]');
  assert.equal(await current.count(), 1, `the initiative home should mark exactly one section link as aria-current="page"`);
  assert.equal(await current.getAttribute('href'), I, `on ${I}, the current section link should be the overview`);
}

async function createOrganization(v, { name, sector, identifier = '', website = '', description = '' }) {
  await v.goto(`${I}/organizations/new`);
  await v.page.fill('#f-name', name);
  await v.page.selectOption('#f-sector', sector);
  await v.page.fill('#f-identifier', identifier);
  await v.page.fill('#f-website', website);
  await v.page.fill('#f-description', description);
  await v.submit({ expectPath: new RegExp(`^${I}/organizations/\\d+$`) });
  assert.equal((await v.page.locator('main h1').innerText()).trim(), name, 'the new organization page should be headed by its name');
  return idFrom(v, 'organizations');
}

async function createPerson(v, { name, email = '', phone = '' }) {
  await v.goto(`${I}/people/new`);
  await v.page.fill('#f-name', name);
  await v.page.fill('#f-email', email);
  await v.page.fill('#f-phone', phone);
  await v.submit({ expectPath: new RegExp(`^${I}/people/\\d+$`) });
  assert.equal((await v.page.locator('main h1').innerText()).trim(), name, 'the new person page should be headed by their name');
  return idFrom(v, 'people');
}

async function fillBody(v, { name, kind, purpose = '', min, max, isPublic = true }) {
  await v.goto(`${I}/bodies/new`);
  await v.page.fill('#f-name', name);
  await v.page.selectOption('#f-kind', kind);
  await v.page.fill('#f-purpose', purpose);
  await v.page.fill('#f-cadence_min_days', String(min));
  await v.page.fill('#f-cadence_max_days', String(max));
  // The portal shows a body only when a coordinator marks it public.
  if (isPublic) await v.page.check('#f-public');
}

async function createBody(v, body) {
  await fillBody(v, body);
  await v.submit({ expectPath: new RegExp(`^${I}/bodies/\\d+$`) });
  assert.equal((await v.page.locator('main h1').innerText()).trim(), body.name, 'the new body page should be headed by its name');
  return idFrom(v, 'bodies');
}

/** From the body's page, follow "Add a member" and fill the membership form. */
async function addMember(v, bodyId, { person, organization, position, start = '2024-01-01', linkText }) {
  await v.goto(`${I}/bodies/${bodyId}`);
  const link = v.page.locator(`main a[href="${I}/memberships/new?body_id=${bodyId}"]`);
  assert.equal(await link.count(), 1, `the page of body ${bodyId} should have one "Add a member" link to the membership form`);
  if (linkText) assert.equal((await link.innerText()).trim(), linkText, 'the add-member link text');
  await v.follow(link);
  assert.equal(await v.page.inputValue('#f-body_id'), String(bodyId), 'the membership form should come with the body chosen');
  await v.page.selectOption('#f-person_id', { label: person });
  if (organization) await v.page.selectOption('#f-organization_id', { label: organization });
  await v.page.selectOption('#f-position', position);
  await v.page.fill('#f-start_date', start);
  await v.submit({ expectPath: new RegExp(`^${I}/memberships/\\d+$`) });
  return idFrom(v, 'memberships');
}

/** The body's section on "Who is at the table". */
async function tableSection(v, bodyName) {
  const sections = v.page.locator('main section.body-table').filter({
    has: v.page.locator('h2', { hasText: bodyName }),
  });
  assert.equal(await sections.count(), 1, `"Who is at the table" should have exactly one section for the body "${bodyName}"`);
  return sections.first();
}

async function openTable(v) {
  const link = v.page.locator(`nav.sections a[href="${I}/table"]`);
  assert.equal(await link.count(), 1, 'the section navigation should link to "Who is at the table"');
  await v.follow(link);
  assert.equal(await link.getAttribute('aria-current'), 'page', 'on the table page, its navigation link should be aria-current="page"');
}

async function checkPortal(lang, name, { bodyName, orgName, hidden }) {
  const v = await visitor(lang, name);
  await withDiagnostics(v, async () => {
    await v.goto(`/p/${INITIATIVE}/`);
    const bodies = await v.page.locator('main article h3').allInnerTexts();
    assert.ok(bodies.map((t) => t.trim()).includes(bodyName), `the public portal should list the body "${bodyName}"; it lists ${JSON.stringify(bodies)}`);
    const article = v.page.locator('main article').filter({ has: v.page.locator('h3', { hasText: bodyName }) });
    const text = await article.innerText();
    assert.ok(text.includes(orgName), `the portal's entry for "${bodyName}" should name the organization "${orgName}":\n${text}`);
    const html = await v.page.content();
    for (const secret of hidden) {
      assert.ok(!html.includes(secret), `the public portal must not show "${secret}"`);
    }
  });
}

test('English: a coordinator builds a body and sees who is at the table', async () => {
  const v = await visitor('en', 'English');
  const orgName = `Tauber Tech ${run}`;
  const people = [1, 2, 3].map((n) => ({
    name: `E2E Person ${n} ${run}`,
    email: `e2e-person-${n}-${run}@example.org`,
    phone: `+972-8-555-01${n}${n}`,
  }));
  const bodyName = `Employment Action Team ${run}`;

  await withDiagnostics(v, async () => {
    await login(v);
    await createOrganization(v, {
      name: orgName,
      sector: 'business',
      identifier: `IL-RA-58${String(parseInt(run, 16)).padStart(7, '0').slice(-7)}`,
      website: 'https://example.org/tauber-tech',
      description: 'A local employer taking part in the employment sphere.',
    });
    for (const p of people) await createPerson(v, p);
    const bodyId = await createBody(v, {
      name: bodyName,
      kind: 'action_team',
      purpose: 'Connect young adults with first jobs.',
      min: 14,
      max: 21,
    });
    assert.match(await v.page.locator('main').innerText(), /\b14\b[\s\S]*\b21\b/, 'the body page should show the cadence 14 and 21');

    await addMember(v, bodyId, { person: people[0].name, organization: orgName, position: 'chair', linkText: 'Add a member' });
    await addMember(v, bodyId, { person: people[1].name, organization: 'Rashi Foundation', position: 'member' });
    await addMember(v, bodyId, { person: people[2].name, organization: 'Kiryat Malachi Municipality', position: 'member' });

    // The body's own page lists the three members.
    await v.goto(`${I}/bodies/${bodyId}`);
    const members = await v.page.locator('main section table tbody tr th').allInnerTexts();
    assert.deepEqual(members.map((t) => t.trim()).sort(), people.map((p) => p.name).sort(), `the body page should list the three members`);

    await openTable(v);
    const section = await tableSection(v, bodyName);
    const text = await section.innerText();
    for (const p of people) assert.ok(text.includes(p.name), `the table section for "${bodyName}" should list ${p.name}:\n${text}`);
    const missing = await section.locator('tr.missing').count();
    assert.ok(missing >= 1, `the table section for "${bodyName}" should show at least one sector nobody represents (tr.missing); found ${missing}`);
    const business = section.locator('tbody tr').filter({ has: v.page.locator('th', { hasText: /^Business$/ }) });
    assert.equal(await business.count(), 1, 'the table should have a Business row');
    assert.equal(await business.getAttribute('class'), null, 'the Business row is represented and should not be marked missing');
    assert.ok((await business.innerText()).includes(people[0].name), 'the Business row should list the chair from the new organization');
    await v.screenshot('table-en.png');
  });

  // The chair gave no consent to be named publicly: the portal names the
  // organizations at the table, never these people.
  await checkPortal('en', 'English portal', {
    bodyName,
    orgName,
    hidden: people.flatMap((p) => [p.email, p.phone, p.name]),
  });
});

test('Hebrew: the same flow is right-to-left and in Hebrew on every page', async () => {
  const v = await visitor('he', 'Hebrew');
  const orgName = `עמותת בדיקה ${run}`;
  const bodyName = `צוות תעסוקה ${run}`;
  const members = [
    { person: 'Avigail Peretz', organization: orgName, position: 'chair' },
    { person: 'Daniel Mizrahi', organization: 'Rashi Foundation', position: 'member' },
    { person: 'Dina Sasson', organization: 'Kiryat Malachi Municipality', position: 'member' },
  ];

  await withDiagnostics(v, async () => {
    await login(v);
    await createOrganization(v, { name: orgName, sector: 'civil_society' });
    const bodyId = await createBody(v, { name: bodyName, kind: 'working_group', purpose: 'קבוצת עבודה לבדיקה', min: 14, max: 21 });
    for (const m of members) await addMember(v, bodyId, m);

    await openTable(v);
    const section = await tableSection(v, bodyName);
    const text = await section.innerText();
    for (const m of members) assert.ok(text.includes(m.person), `the table section for "${bodyName}" should list ${m.person}:\n${text}`);
    assert.ok((await section.locator('tr.missing').count()) >= 1, 'the Hebrew table should show at least one missing sector');
    const heading = await v.page.locator('main h1').innerText();
    assert.ok(/[\u0590-\u05FF]/.test(heading), `the table page heading should be in Hebrew, got ${JSON.stringify(heading)}`);
    await v.screenshot('table-he.png');
  });

  await checkPortal('he', 'Hebrew portal', { bodyName, orgName, hidden: [] });
});

test('bad input: a body meeting at most every 14 days but at least every 21 is refused', async () => {
  const v = await visitor('en', 'Bad input');
  const bodyName = `Impossible Cadence ${run}`;
  await withDiagnostics(v, async () => {
    await login(v);
    await fillBody(v, { name: bodyName, kind: 'working_group', min: 21, max: 14 });
    const resp = await v.submit({ expectStatus: 422 });
    assert.equal(resp.status(), 422);

    const alert = v.page.locator('main [role="alert"]');
    assert.equal(await alert.count(), 1, 'the refused form should have one role="alert" error summary');
    assert.equal(
      await alert.locator('a[href="#f-cadence_max_days"]').count(),
      1,
      'the error summary should link to the max-cadence field',
    );

    const field = v.page.locator('main .field').filter({ has: v.page.locator('#f-cadence_max_days') });
    const error = field.locator('.error');
    assert.equal(await error.count(), 1, 'the max-cadence field should have an error message next to it');
    const message = (await error.innerText()).trim();
    assert.ok(message.length > 0, 'the max-cadence error message should not be empty');
    const input = v.page.locator('#f-cadence_max_days');
    assert.equal(await input.getAttribute('aria-invalid'), 'true', 'the max-cadence input should be aria-invalid');
    const errorId = await error.getAttribute('id');
    assert.ok(
      (await input.getAttribute('aria-describedby') ?? '').split(/\s+/).includes(errorId),
      'the max-cadence input should be described by its error message',
    );
    assert.equal(await v.page.inputValue('#f-name'), bodyName, 'the refused form should keep what was typed');
    assert.equal(await v.page.inputValue('#f-cadence_min_days'), '21', 'the refused form should keep the min cadence typed');

    await v.goto(`${I}/bodies`);
    const listed = await v.page.locator('main').innerText();
    assert.ok(!listed.includes(bodyName), `the refused body "${bodyName}" must not appear in the bodies list`);
  });
});
