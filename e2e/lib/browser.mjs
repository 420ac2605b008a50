// Browser helpers: launching Debian's Chromium, and a `Visitor` that drives one
// page and checks every page it lands on (axe-core, language and direction).

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function ensureArtifacts() {
  await mkdir(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

/** Every URL any Visitor checked with axe, across the test file. */
export const checkedUrls = new Set();

function summarize(failureSummary) {
  const text = failureSummary.split('\n').slice(1).map((l) => l.trim()).filter(Boolean).join('; ');
  return text.length > 200 ? text.slice(0, 199) + '…' : text;
}

function formatViolations(url, violations) {
  return violations
    .map((v) => {
      const targets = v.nodes
        .slice(0, 3)
        .map((n) => `        ${JSON.stringify(n.target)}${n.failureSummary ? ' — ' + summarize(n.failureSummary) : ''}`)
        .join('\n');
      const more = v.nodes.length > 3 ? `\n        … and ${v.nodes.length - 3} more` : '';
      return `  [${v.impact ?? 'n/a'}] ${v.id}: ${v.help} (${v.helpUrl})\n      on ${url}\n${targets}${more}`;
    })
    .join('\n');
}

/**
 * Drives one page. After each navigation it runs axe-core and, when `lang` is
 * given, checks <html lang> and dir. Accessibility and language problems are
 * collected so that the whole flow still runs; `assertClean()` at the end of a
 * test fails it with all of them.
 */
export class Visitor {
  constructor(page, { base, lang, dir, name }) {
    this.page = page;
    this.base = base;
    this.lang = lang;
    this.dir = dir;
    this.name = name;
    this.problems = [];
    this.visited = [];
  }

  url(path) {
    return new URL(path, this.base).toString();
  }

  /** Path and query of the current page. */
  where() {
    const u = new URL(this.page.url());
    return u.pathname + u.search;
  }

  async goto(path, { status = 200 } = {}) {
    const resp = await this.page.goto(this.url(path), { waitUntil: 'load' });
    if (!resp) throw new Error(`no response navigating to ${path}`);
    if (status !== null && resp.status() !== status) {
      throw new Error(`GET ${path} answered HTTP ${resp.status()}, expected ${status}\n${(await resp.text()).slice(0, 2000)}`);
    }
    await this.check();
    return resp;
  }

  /**
   * Submit the form in <main> by clicking its submit button and wait for the
   * resulting page. Returns the response of the POST (after redirects, the
   * final document's response).
   */
  async submit({ expectStatus = 200, expectPath } = {}) {
    const form = this.page.locator('main form[method="post"]').last();
    const action = await form.getAttribute('action');
    const from = this.where();
    const navigated = this.page.waitForNavigation({ waitUntil: 'load' });
    // The first submit button ("Save"; a new record's form also offers "Save
    // and add another").
    await form.locator('button[type="submit"]').first().click();
    const resp = await navigated;
    await this.page.waitForLoadState('load');
    if (!resp) throw new Error(`submitting the form on ${from} (POST ${action}) led to no navigation`);
    if (resp.status() !== expectStatus) {
      const errors = await this.formErrors();
      throw new Error(
        `submitting the form on ${from} (POST ${action}) answered HTTP ${resp.status()}, expected ${expectStatus}` +
          (errors.length ? `\nform errors shown: ${JSON.stringify(errors)}` : `\n${(await resp.text()).slice(0, 2000)}`),
      );
    }
    if (expectPath) {
      await this.page.waitForURL((u) => expectPath.test(u.pathname), { timeout: 5000 }).catch(() => {
        throw new Error(`after submitting the form on ${from}, expected to be at ${expectPath} but am at ${this.where()}`);
      });
    }
    await this.check({ note: resp.status() === 200 ? '' : ` (form re-rendered by POST, HTTP ${resp.status()})` });
    return resp;
  }

  /** Click a link (a Playwright locator) and check the page it leads to. */
  async follow(link, { status = 200 } = {}) {
    const from = this.where();
    const href = await link.getAttribute('href');
    const navigated = this.page.waitForNavigation({ waitUntil: 'load' });
    await link.click();
    const resp = await navigated;
    if (!resp) throw new Error(`following the link to ${href} on ${from} led to no navigation`);
    if (status !== null && resp.status() !== status) {
      throw new Error(`following the link to ${href} on ${from} answered HTTP ${resp.status()}, expected ${status}`);
    }
    await this.check();
    return resp;
  }

  /** Field errors shown on a form page: [{ field, message }]. */
  async formErrors() {
    return this.page.$$eval('.field .error', (els) =>
      els.map((e) => ({ field: e.id.replace(/^e-/, ''), message: e.textContent.trim() })),
    );
  }

  /** Language/direction checks and axe-core, on the page as it is now. */
  async check({ note = '' } = {}) {
    const url = this.where() + note;
    this.visited.push(url);
    checkedUrls.add(url);
    if (this.lang) {
      const { lang, dir } = await this.page.evaluate(() => ({
        lang: document.documentElement.lang,
        dir: document.documentElement.dir,
      }));
      if (lang !== this.lang || dir !== this.dir) {
        this.problems.push(`language: ${url} has <html lang="${lang}" dir="${dir}">, expected lang="${this.lang}" dir="${this.dir}"`);
      }
    }
    const hasAxe = await this.page.evaluate(() => typeof window.axe !== 'undefined');
    if (!hasAxe) await this.page.evaluate(axeSource);
    const result = await this.page.evaluate(
      (tags) => window.axe.run(document, { runOnly: tags }),
      AXE_TAGS,
    );
    if (result.violations.length) {
      this.problems.push(`axe: ${result.violations.length} violation(s) on ${url}:\n${formatViolations(url, result.violations)}`);
    }
  }

  async screenshot(file) {
    const dir = await ensureArtifacts();
    const path = dir + file;
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /** Fail with every accessibility/language problem found on the way. */
  assertClean() {
    if (this.problems.length) {
      const err = new Error(
        `${this.name}: ${this.problems.length} page check(s) failed on the pages visited:\n\n${this.problems.join('\n\n')}`,
      );
      err.stack = err.message; // the stack adds nothing here
      throw err;
    }
  }
}
