// Page-load timing for the dashboard (benches/README.md): a full page load of the executive view in an open,
// signed-in tab, from navigation start to the app's 'view-rendered:executive' mark (KPIs and 3 charts drawn).
// Needs: npm install playwright-core@1 and Chromium. Usage: node benches/page_load.js BASE_URL TOKEN
const { chromium } = require('playwright-core');
(async () => {
  const [base, token] = process.argv.slice(2);
  const next = "executive?threshold=THR";
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/#token=${token}&next=/summary`);
  await page.waitForTimeout(500);
  const times = [];
  for (let i = 0; i < 9; i++) {
    // A full page load (new document) in an open tab, signed in, on a threshold not computed before.
    await page.goto(`${base}/?load=${i}#/${next.replace('THR', (0.12 + i * 0.03).toFixed(2))}`);
    await page.waitForFunction(() => performance.getEntriesByName('view-rendered:executive').length > 0, null, { timeout: 20000 });
    times.push(await page.evaluate(() => Math.round(performance.getEntriesByName('view-rendered:executive')[0].startTime)));
  }
  times.sort((a, b) => a - b);
  console.log('page load in an open tab (navigation start → KPIs and 3 charts rendered), ms:', times.join(' '), '| median', times[4]);
  await browser.close();
})();
