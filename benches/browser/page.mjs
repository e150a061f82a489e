// A bench page (index.html, bench.js) in a browser context of its own.

/**
 * Opens the bench page once bench.js is ready; `errors` collects its errors
 * and console errors and warnings.
 */
export async function openPage(browser, origin) {
  // browser.newPage() gives each page a browser context of its own.
  const page = await browser.newPage();
  page.setDefaultTimeout(300_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => globalThis.benchReady === true);
  return { page, errors };
}

/** Runs `fn(page)` in a fresh page; errors name the client and carry the page's errors. */
export async function inPage(browser, origin, name, fn) {
  const { page, errors } = await openPage(browser, origin);
  try {
    return await fn(page);
  } catch (error) {
    throw new Error(`${name}: ${error.message}${errors.length ? `\n  page: ${errors.slice(0, 10).join('\n  page: ')}` : ''}`);
  } finally {
    await page.context().close();
  }
}
