// End-to-end: the registry on a phone. A coordinator signs in at 390×844 and
// visits every signed-in registry page (the initiative home; the list, a record,
// its edit form and the new form of every kind; the audit log and access) in
// English and in Hebrew, then the public portal. On each page nothing scrolls
// sideways and the header and tabs take at most two lines before the content.
// Every page visited is checked with axe-core.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkedUrls, launchBrowser } from '../lib/browser.mjs';
import * as session from '../lib/session.mjs';
import { INITIATIVE, startBackbone } from '../lib/server.mjs';

const I = `/i/${INITIATIVE}`;
const VIEWPORT = { width: 390, height: 844 };
const KINDS = ['organizations', 'people', 'bodies', 'memberships', 'services', 'locations', 'facts', 'stages'];

// "Two lines before content", as measured here: the header (brand and account
// links) is one row and the section tabs are one row — within each, every link
// and button starts within ROW_SLACK px of the first one's top — and the tabs end
// at most TWO_ROWS px below the top of the page (a row is a 24 px line of 16 px
// text plus its padding, well under 60 px).
const ROW_SLACK = 12;
const TWO_ROWS = 120;

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

/** A phone-sized browser context in one language. */
const phone = (lang, name) =>
  session.visitor(browser, app, lang, name, { viewport: VIEWPORT, isMobile: true, hasTouch: true });

/** Run a test body on one phone; its page problems fail the test at the end. */
async function withDiagnostics(v, fn) {
  await session.withDiagnostics(app, [v], fn);
  v.assertClean();
}

const login = (v) => session.login(v, app);

/** The page as laid out now: widths, and the rows the header and tabs take. */
async function measure(v) {
  return v.page.evaluate(() => {
    const rows = (sel) => {
      const box = document.querySelector(sel);
      if (!box) return null;
      const tops = [...box.querySelectorAll('a, button')]
        .filter((e) => e.getClientRects().length > 0)
        .map((e) => e.getBoundingClientRect().top);
      return tops.length ? Math.max(...tops) - Math.min(...tops) : 0;
    };
    const tabs = document.querySelector('nav.sections');
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 || e.getBoundingClientRect().left < -1)
      .filter((e) => !e.closest('.skip, .visually-hidden'))
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()}${e.className ? ` class="${e.className}"` : ''}>`);
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      headerSpread: rows('header.top'),
      tabsSpread: rows('nav.sections'),
      tabsBottom: tabs ? tabs.getBoundingClientRect().bottom + window.scrollY : null,
      wide,
    };
  });
}

/** The current page fits the phone: no sideways scrolling, two lines of navigation at most. */
async function assertFits(v, { signedIn = true } = {}) {
  const m = await measure(v);
  assert.ok(
    m.scrollWidth <= m.innerWidth,
    `${v.lang} ${v.where()}: the page is ${m.scrollWidth} px wide on a ${m.innerWidth} px screen; sticking out: ${m.wide.join(', ')}`,
  );
  if (!signedIn) return;
  assert.ok(m.headerSpread !== null && m.headerSpread <= ROW_SLACK,
    `${v.lang} ${v.where()}: the header should be one row, but its links start ${m.headerSpread} px apart vertically`);
  if (m.tabsSpread === null) return; // a page outside any initiative has no tabs
  assert.ok(m.tabsSpread <= ROW_SLACK,
    `${v.lang} ${v.where()}: the section tabs should be one row, but their links start ${m.tabsSpread} px apart vertically`);
  assert.ok(m.tabsBottom <= TWO_ROWS,
    `${v.lang} ${v.where()}: the header and tabs should end within ${TWO_ROWS} px of the top, but end at ${m.tabsBottom} px`);
}

async function visit(v, path) {
  await v.goto(path);
  await assertFits(v);
}

/** From a list, the first record's page (found by following its link). */
async function firstRecord(v, kind) {
  const links = v.page.locator(`main table a[href^="${I}/${kind}/"]`);
  const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const index = hrefs.findIndex((h) => new RegExp(`^${I}/${kind}/\\d+$`).test(h));
  assert.ok(index >= 0, `${v.lang} ${v.where()}: the demo list of ${kind} should link to a record`);
  await v.follow(links.nth(index));
  await assertFits(v);
  return v.where();
}

for (const lang of ['en', 'he']) {
  test(`every signed-in registry page fits a 390 px screen (${lang})`, async () => {
    const v = await phone(lang, `phone registry (${lang})`);
    await withDiagnostics(v, async () => {
      await login(v);
      await assertFits(v);
      await visit(v, I);
      for (const kind of KINDS) {
        await visit(v, `${I}/${kind}`);
        const record = await firstRecord(v, kind);
        await visit(v, `${record}/edit`);
        await visit(v, `${I}/${kind}/new`);
      }
      await visit(v, `${I}/audit`);
      await visit(v, `${I}/access`);
    });
  });

  test(`the public portal fits a 390 px screen (${lang})`, async () => {
    const v = await phone(lang, `phone portal (${lang})`);
    await withDiagnostics(v, async () => {
      await v.goto(`/p/${INITIATIVE}/`);
      await assertFits(v, { signedIn: false });
      const directory = v.page.locator('main section.directory');
      assert.equal(await directory.count(), 1, `${lang}: the portal should have a services directory`);
      assert.ok((await directory.locator('h3').count()) >= 1, `${lang}: the directory should list the demo's services`);
      assert.match(await directory.innerText(), /Ben Gurion Street/, `${lang}: a service should show its address`);
      const empty = await v.page.$$eval('main h2, main h3', (hs) =>
        hs.filter((h) => !h.nextElementSibling).map((h) => h.textContent.trim()));
      assert.deepEqual(empty, [], `${lang}: no heading should stand over nothing`);
    });
  });
}
