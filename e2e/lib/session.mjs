// Helpers shared by test files: a browser context of its own in one language,
// a test body that reports the server log on failure, and signing in as the
// demo coordinator.

import { Visitor } from './browser.mjs';

/**
 * A Visitor in a new browser context (its own session) in one language;
 * `options` adds to the context (a phone's viewport). bypassCSP lets axe-core in.
 */
export async function visitor(browser, app, lang, name, options = {}) {
  const he = lang === 'he';
  const context = await browser.newContext({
    locale: he ? 'he-IL' : 'en-US',
    extraHTTPHeaders: { 'Accept-Language': lang },
    bypassCSP: true,
    ...options,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return new Visitor(page, { base: app.base, lang, dir: he ? 'rtl' : 'ltr', name });
}

/**
 * Run a test body with some Visitors; on failure add their pages, their page
 * problems and the tail of the server log to the message. Their contexts are
 * closed afterwards.
 */
export async function withDiagnostics(app, visitors, fn) {
  try {
    await fn();
  } catch (e) {
    const tail = app.log().trim().split('\n').slice(-15).join('\n');
    let extra = `\n  last pages: ${visitors.map((v) => v.page.url()).join(', ')}\n  server log tail:\n${tail}`;
    const problems = visitors.flatMap((v) => v.problems);
    if (problems.length) extra += `\n\n  also found:\n${problems.join('\n\n')}`;
    if (e && typeof e === 'object') {
      e.message += extra;
      if (typeof e.stack === 'string') e.stack += extra;
    }
    throw e;
  } finally {
    for (const v of visitors) await v.page.context().close();
  }
}

/** Sign in as the demo coordinator. */
export async function login(v, app) {
  await v.goto('/login');
  await v.page.fill('#f-email', app.email);
  await v.page.fill('#f-password', app.password);
  await v.submit({ expectPath: /^\/$/ });
}
