// End-to-end: the common agenda from a resident's idea to the systems map.
// A visitor suggests an idea in Spanish on the public portal; the coordinator
// accepts it, adds five more and opens a round of six; three members vote; two
// members answer the systems-map questions from a fixed "true" influence
// structure, and the levels the pages show are Warfield's for that structure.
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

// The six ideas of the round. The first comes from the portal, in Spanish.
const IDEAS = [
  { title: `Huertos comunitarios en cada barrio ${run}`, description: 'Que los vecinos cultiven juntos en solares vacíos y se conozcan.' },
  { title: `Job training for young adults ${run}`, description: 'Courses that lead to a recognised certificate.' },
  { title: `Affordable childcare places ${run}`, description: 'So that parents can train and work.' },
  { title: `First jobs with local employers ${run}`, description: 'Employers in the industrial park hire graduates of the courses.' },
  { title: `Digital skills at the library ${run}`, description: 'Free evening classes for every age.' },
  { title: `Young families stay in the city ${run}`, description: 'Fewer families leave for the centre of the country.' },
];

// The "true" influence structure the members answer from: a chain
// digital skills → job training → first jobs → families stay, with branches
// childcare → job training and gardens → families stay. "Helps" is transitive.
const DIRECT = [
  [4, 1],
  [1, 3],
  [3, 5],
  [2, 1],
  [0, 5],
];

/** reach[i][j]: idea i helps idea j (reflexive and transitive). */
function closure(n, edges) {
  const reach = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j));
  for (const [a, b] of edges) reach[a][b] = true;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      if (!reach[i][k]) continue;
      for (let j = 0; j < n; j++) if (reach[k][j]) reach[i][j] = true;
    }
  }
  return reach;
}

/**
 * Warfield's level partition: R(i) what i reaches, A(i) what reaches i (both
 * with i); the ideas with R ∩ A = R form level 1 (the top); remove them and
 * repeat. Returns each idea's level, driving power |R| and dependence |A|.
 */
function warfield(reach) {
  const n = reach.length;
  const level = new Array(n).fill(0);
  const left = new Set(Array.from({ length: n }, (_, i) => i));
  for (let l = 1; left.size > 0; l++) {
    const top = [...left].filter((i) => {
      const R = [...left].filter((j) => reach[i][j]);
      return R.every((j) => reach[j][i]);
    });
    assert.ok(top.length > 0, 'the level partition should always find a top level');
    for (const i of top) {
      level[i] = l;
      left.delete(i);
    }
  }
  const count = (pred) => Array.from({ length: n }, (_, j) => j).filter(pred).length;
  return Array.from({ length: n }, (_, i) => ({
    level: level[i],
    driving: count((j) => reach[i][j]),
    dependence: count((j) => reach[j][i]),
  }));
}

const TRUTH = closure(IDEAS.length, DIRECT);
const EXPECTED = warfield(TRUTH);

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

let app;
let browser;
/** What the tests build, in order; each test checks that the one before it got its part done. */
const state = { ideaIds: [], roundId: null, partner: null, resident: null };

before(async () => {
  app = await startBackbone();
  browser = await launchBrowser();
  state.partner = await app.createUser({ name: `E2E Partner ${run}`, role: 'partner' });
  state.resident = await app.createUser({ name: `E2E Resident ${run}`, role: 'resident' });
  console.log(`# backbone on ${app.base} (${app.engine}), chromium ${browser.version()}`);
  console.log(`# expected levels: ${IDEAS.map((idea, i) => `${idea.title.split(' ')[0]}=${EXPECTED[i].level}`).join(', ')}`);
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
async function withDiagnostics(visitors, fn) {
  const vs = Array.isArray(visitors) ? visitors : [visitors];
  try {
    await fn();
  } catch (e) {
    const tail = app.log().trim().split('\n').slice(-15).join('\n');
    let extra = `\n  last page(s): ${vs.map((v) => `${v.name}: ${v.page.url()}`).join(', ')}\n  server log tail:\n${tail}`;
    // Report page-check problems too, so one run shows everything.
    const problems = vs.flatMap((v) => v.problems);
    if (problems.length) extra += `\n\n  also found:\n${problems.join('\n\n')}`;
    if (e && typeof e === 'object') {
      e.message += extra;
      // Node prints the stack, which was built with the old message.
      if (typeof e.stack === 'string') e.stack += extra;
    }
    throw e;
  } finally {
    for (const v of vs) await v.page.context().close();
  }
  for (const v of vs) v.assertClean();
}

function needs(what, value) {
  assert.ok(value, `this test needs ${what} from the test before it, which did not get that far`);
}

function idFrom(v, kind) {
  const m = new RegExp(`^${I}/${kind}/(\\d+)$`).exec(new URL(v.page.url()).pathname);
  assert.ok(m, `expected to be on a ${kind} record page, but am at ${v.where()}`);
  return Number(m[1]);
}

async function login(v, { email, password }) {
  await v.goto('/login');
  await v.page.fill('#f-email', email);
  await v.page.fill('#f-password', password);
  await v.submit({ expectPath: /^\/$/ });
}

const coordinator = () => ({ email: app.email, password: app.password });

/**
 * Click one submit button (a Playwright locator) of a form with several, wait
 * for the resulting page and check it, like `Visitor.submit` does for a form's
 * only button.
 */
async function press(v, button, { expectStatus = 200, expectPath } = {}) {
  const from = v.where();
  const form = button.locator('xpath=ancestor::form[1]');
  const action = await form.getAttribute('action');
  const what = `${await button.getAttribute('name')}=${await button.getAttribute('value')}`;
  const navigated = v.page.waitForNavigation({ waitUntil: 'load' });
  await button.click();
  const resp = await navigated;
  await v.page.waitForLoadState('load');
  if (!resp) throw new Error(`pressing ${what} on ${from} (POST ${action}) led to no navigation`);
  if (resp.status() !== expectStatus) {
    const alert = await v.page.locator('main [role="alert"]').allInnerTexts();
    throw new Error(
      `pressing ${what} on ${from} (POST ${action}) answered HTTP ${resp.status()}, expected ${expectStatus}` +
        (alert.length ? `\nthe page says: ${JSON.stringify(alert)}` : `\n${(await resp.text()).slice(0, 2000)}`),
    );
  }
  if (expectPath) {
    await v.page.waitForURL((u) => expectPath.test(u.pathname), { timeout: 5000 }).catch(() => {
      throw new Error(`after pressing ${what} on ${from}, expected to be at ${expectPath} but am at ${v.where()}`);
    });
  }
  await v.check();
  return resp;
}

/** The rows of a table as { title, cells } with the row header as title. */
async function tableRows(table) {
  return table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      title: tr.querySelector('th').textContent.trim(),
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
    })),
  );
}

/** Votes per idea title from the results page's tally table. */
async function tally(v) {
  const table = v.page.locator('main table').filter({ has: v.page.locator('th', { hasText: IDEAS[0].title }) }).first();
  const rows = await tableRows(table);
  return Object.fromEntries(rows.map((r) => [r.title, Number(r.cells[0])]));
}

/** The levels, driving power and dependence shown in `table.map-table`, by idea index. */
async function mapTable(v) {
  const tables = v.page.locator('main table.map-table');
  assert.equal(await tables.count(), 1, `${v.where()} should show one table.map-table`);
  const headers = await tables.locator('thead th').allInnerTexts();
  assert.equal(headers.length, 6, `the map table should have 6 columns (#, title, level, driving power, dependence, role); has ${JSON.stringify(headers)}`);
  const rows = await tables.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())),
  );
  assert.equal(rows.length, IDEAS.length, `the map table on ${v.where()} should have a row per idea; has ${JSON.stringify(rows)}`);
  const shown = IDEAS.map((idea) => {
    const row = rows.find((r) => r[1] === idea.title);
    assert.ok(row, `the map table on ${v.where()} should have a row for "${idea.title}"; has ${JSON.stringify(rows.map((r) => r[1]))}`);
    return { level: Number(row[2]), driving: Number(row[3]), dependence: Number(row[4]) };
  });
  return shown;
}

function assertLevels(shown, where) {
  const describe = (list) => IDEAS.map((idea, i) => `${idea.title}: ${JSON.stringify(list[i])}`).join('\n    ');
  assert.deepEqual(shown, EXPECTED, `${where} should show Warfield's levels, driving power and dependence for the answers given.\n  shown:\n    ${describe(shown)}\n  expected:\n    ${describe(EXPECTED)}`);
}

test('Spanish: a resident suggests an idea on the public portal', async () => {
  const v = await visitor('es', 'Portal (Spanish)');
  await withDiagnostics(v, async () => {
    await v.goto(`${P}/ideas`);
    await v.page.fill('#title', IDEAS[0].title);
    await v.page.fill('#description', IDEAS[0].description);
    await v.submit({ expectPath: new RegExp(`^${P}/ideas$`) });
    const sent = v.page.locator('#sent');
    assert.equal(await sent.count(), 1, `after sending an idea, ${v.where()} should confirm it (#sent)`);
    const text = (await sent.innerText()).trim();
    assert.match(text, /Gracias/, `the confirmation should be in Spanish, got ${JSON.stringify(text)}`);
    assert.equal(await sent.getAttribute('role'), 'status', 'the confirmation should be announced (role="status")');
    // The idea waits for review: the portal does not show it yet.
    assert.ok(!(await v.page.locator('main').innerText()).includes(IDEAS[0].title), 'the portal must not show an idea before it is reviewed');
  });
});

test('the coordinator accepts the idea, adds five more and opens a round of six', async () => {
  const v = await visitor('en', 'Coordinator');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/agenda`);
    const queued = v.page.locator('main ul.queue li').filter({ hasText: IDEAS[0].title });
    assert.equal(await queued.count(), 1, `the moderation queue on ${I}/agenda should hold the portal idea "${IDEAS[0].title}" once`);
    assert.ok((await queued.innerText()).includes(IDEAS[0].description), 'the queue should show the idea\'s description');
    const action = await queued.locator('form').getAttribute('action');
    const m = new RegExp(`^${I}/ideas/(\\d+)/moderate$`).exec(action ?? '');
    assert.ok(m, `the queued idea's form should post to ${I}/ideas/{id}/moderate, not ${action}`);
    state.ideaIds[0] = Number(m[1]);
    const accept = queued.locator('button[name="status"][value="accepted"]');
    assert.equal((await accept.innerText()).trim(), 'Accept', 'the queue\'s accept button');
    await press(v, accept, { expectPath: new RegExp(`^${I}/agenda$`) });
    assert.equal(await v.page.locator('main ul.queue li').filter({ hasText: IDEAS[0].title }).count(), 0, 'the accepted idea should leave the queue');
    assert.equal(
      await v.page.locator(`main a[href="${I}/ideas/${state.ideaIds[0]}"]`).count(),
      1,
      'the accepted idea should be listed (linked) among the accepted ideas',
    );

    for (const [n, idea] of IDEAS.entries()) {
      if (n === 0) continue;
      await v.goto(`${I}/ideas/new`);
      await v.page.fill('#f-title', idea.title);
      await v.page.fill('#f-description', idea.description);
      await v.page.selectOption('#f-status', 'accepted');
      await v.page.selectOption('#f-source', 'member');
      await v.page.fill('#f-language', 'en');
      await v.submit({ expectPath: new RegExp(`^${I}/ideas/\\d+$`) });
      state.ideaIds[n] = idFrom(v, 'ideas');
    }

    const today = new Date();
    const closes = new Date(today.getTime() + 7 * 86_400_000);
    const roundTitle = `Priorities for the coming year ${run}`;
    await v.goto(`${I}/rounds/new`);
    await v.page.fill('#f-title', roundTitle);
    await v.page.fill('#f-description', 'Pick the two ideas that matter most to you.');
    await v.page.fill('#f-picks', '2');
    await v.page.fill('#f-opens_on', isoDate(today));
    await v.page.fill('#f-closes_on', isoDate(closes));
    await v.page.check('#f-public');
    await v.submit({ expectPath: new RegExp(`^${I}/rounds/\\d+$`) });
    state.roundId = idFrom(v, 'rounds');

    await v.goto(`${I}/rounds/${state.roundId}/ideas`);
    for (const id of state.ideaIds) await v.page.check(`#idea-${id}`);
    const checked = await v.page.locator('main input[name="idea"]:checked').evaluateAll((els) => els.map((e) => Number(e.value)));
    assert.deepEqual(checked.sort((a, b) => a - b), [...state.ideaIds].sort((a, b) => a - b), 'exactly the six ideas should be chosen');
    await v.submit({ expectPath: new RegExp(`^${I}/rounds/${state.roundId}/results$`) });
    const votes = await tally(v);
    assert.deepEqual(
      Object.keys(votes).sort(),
      IDEAS.map((i) => i.title).sort(),
      'the results page of the new round should list the six ideas',
    );
    assert.ok(Object.values(votes).every((n) => n === 0), `no votes yet: ${JSON.stringify(votes)}`);
  });
});

test('three members vote; the results count 3 ballots and the votes', async () => {
  needs('the round', state.roundId);
  // Everyone picks the portal idea and one other.
  const voters = [
    { who: 'Coordinator', lang: 'en', account: coordinator(), picks: [0, 1] },
    { who: 'Partner', lang: 'en', account: state.partner, picks: [0, 2] },
    { who: 'Resident', lang: 'es', account: state.resident, picks: [0, 3] },
  ];
  for (const { who, lang, account, picks } of voters) {
    const v = await visitor(lang, `${who} voting`);
    await withDiagnostics(v, async () => {
      await login(v, account);
      await v.goto(`${I}/rounds/${state.roundId}/vote`);
      const boxes = v.page.locator('main input[type="checkbox"][name="idea"]');
      assert.equal(await boxes.count(), IDEAS.length, `${who}: the ballot should offer the six ideas`);
      for (const n of picks) await v.page.check(`#idea-${state.ideaIds[n]}`);
      if (lang === 'en') {
        const send = v.page.locator('main form[method="post"] button[type="submit"]');
        assert.equal((await send.innerText()).trim(), 'Cast my ballot', 'the ballot\'s button');
      }
      await v.submit({ expectPath: new RegExp(`^${I}/rounds/${state.roundId}/results$`) });
      assert.equal(new URL(v.page.url()).searchParams.get('voted'), '1', `${who}: after voting the results page should say so (?voted=1)`);
    });
  }

  const v = await visitor('en', 'Coordinator reading results');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/rounds/${state.roundId}/results`);
    const text = await v.page.locator('main').innerText();
    assert.match(text, /\b3 ballots\b/, `the results page should count 3 ballots:\n${text.slice(0, 600)}`);
    const votes = await tally(v);
    const expected = Object.fromEntries(IDEAS.map((idea) => [idea.title, 0]));
    for (const { picks } of voters) for (const n of picks) expected[IDEAS[n].title] += 1;
    assert.deepEqual(votes, expected, 'the votes per idea');
    const order = Object.values(votes);
    assert.deepEqual(order, [...order].sort((a, b) => b - a), 'the tally should list the most voted first');
  });
});

test('two members build the systems map in fewer than 30 questions; the levels are Warfield\'s', async () => {
  needs('the round', state.roundId);
  const members = [await visitor('en', 'Partner mapping'), await visitor('es', 'Resident mapping')];
  const mapPath = `${I}/rounds/${state.roundId}/map`;
  const byTitle = new Map(IDEAS.map((idea, n) => [idea.title, n]));
  const log = [];
  await withDiagnostics(members, async () => {
    await login(members[0], state.partner);
    await login(members[1], state.resident);
    let asked = 0;
    const limit = IDEAS.length * (IDEAS.length - 1);
    for (;;) {
      const v = members[asked % 2];
      await v.goto(mapPath);
      const legend = v.page.locator('main legend#question');
      if ((await legend.count()) === 0) break;
      assert.ok(asked < limit, `the map still asks after ${asked} questions, as many as there are ordered pairs; asked:\n${log.join('\n')}`);
      const q = (await legend.innerText()).trim();
      // The question names two ideas, the one that would help first.
      const named = IDEAS.map((idea) => ({ n: byTitle.get(idea.title), at: q.indexOf(idea.title) }))
        .filter((x) => x.at >= 0)
        .sort((a, b) => a.at - b.at);
      assert.equal(named.length, 2, `the question should name two of the round's ideas: ${JSON.stringify(q)}`);
      const [from, to] = named.map((x) => x.n);
      const form = legend.locator('xpath=ancestor::form[1]');
      assert.equal(await form.locator('input[name="from"]').inputValue(), String(state.ideaIds[from]), `the question's "from" should be the first idea named: ${q}`);
      assert.equal(await form.locator('input[name="to"]').inputValue(), String(state.ideaIds[to]), `the question's "to" should be the second idea named: ${q}`);
      const yes = TRUTH[from][to];
      log.push(`  ${v.name}: ${q} → ${yes ? 'yes' : 'no'}`);
      await press(v, form.locator(`button[name="answer"][value="${yes ? 'yes' : 'no'}"]`), { expectPath: new RegExp(`^${mapPath}$`) });
      asked += 1;
      const progress = (await v.page.locator('main p.notice').first().innerText()).trim();
      assert.equal(Number(/^\d+/.exec(progress)?.[0]), asked, `after ${asked} answer(s) the map should count them: ${JSON.stringify(progress)}`);
    }
    console.log(`# the map was complete after ${asked} question(s) of ${limit}:\n#${log.join('\n#')}`);
    assert.ok(asked < limit, `the map should need fewer than ${limit} questions, asked ${asked}`);

    for (const v of members) {
      if (v !== members[asked % 2]) await v.goto(mapPath);
      assert.equal(await v.page.locator('main legend#question').count(), 0, `${v.name}: the complete map asks nothing more`);
      assertLevels(await mapTable(v), `${v.name}'s map page`);
    }
    const done = await members[0].page.locator('main section[aria-labelledby="question-h"]').innerText();
    assert.match(done, /the map is complete/, `the partner's map page should say the map is complete:\n${done}`);
  });

  // The round is public: the portal shows the same map without signing in.
  const v = await visitor('en', 'Portal map');
  await withDiagnostics(v, async () => {
    await v.goto(`${P}/systems-map`);
    const heading = (await v.page.locator('main h2').first().innerText()).trim();
    assert.equal(heading, `Priorities for the coming year ${run}`, 'the portal map should show the round');
    assertLevels(await mapTable(v), `the portal's ${P}/systems-map`);
    await v.screenshot('systems-map-portal.png');
    await v.goto(`${P}/ideas`);
    const text = await v.page.locator('main').innerText();
    assert.match(text, /\b3 ballots\b/, `the portal's ideas page should count the round's 3 ballots:\n${text.slice(0, 800)}`);
  });
});

test('Hebrew: the agenda, the results and the map are right to left', async () => {
  needs('the round', state.roundId);
  const v = await visitor('he', 'Hebrew');
  await withDiagnostics(v, async () => {
    await login(v, coordinator());
    await v.goto(`${I}/agenda`);
    assert.ok(
      (await v.page.locator(`main a[href="${I}/rounds/${state.roundId}"]`).count()) >= 1,
      'the Hebrew agenda should list the round',
    );
    await v.goto(`${I}/rounds/${state.roundId}/results`);
    const heading = await v.page.locator('main h1').innerText();
    assert.ok(/[\u0590-\u05FF]/.test(heading), `the results page heading should be in Hebrew, got ${JSON.stringify(heading)}`);
    const text = await v.page.locator('main').innerText();
    assert.ok(text.includes('3 פתקי הצבעה'), `the Hebrew results page should count 3 ballots:\n${text.slice(0, 600)}`);
    await v.goto(`${I}/rounds/${state.roundId}/map`);
    assert.equal(await v.page.locator('main legend#question').count(), 0, 'the complete map asks nothing more');
    assertLevels(await mapTable(v), 'the Hebrew map page');
    await v.screenshot('systems-map-he.png');
  });
});
