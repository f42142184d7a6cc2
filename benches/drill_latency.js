// Drill event → dashboard latency (benches/README.md): participants' tabs on the Drill view, a drill started
// through the API, and for every event line the time from the server writing it (its `wall` stamp, after the
// fsync) to the page having drawn it (Date.now() after the DOM update), on the same machine's clock.
// Needs: npm install playwright-core@1 and Chromium.
// Usage: node benches/drill_latency.js BASE_URL TRAINER_TOKEN [PARTICIPANT_TOKEN ...]
//        (env DRILL=layoff_wave SPEED=600 SCREENSHOT=/tmp/drill.png)
const { chromium } = require('playwright-core');
(async () => {
  const [base, trainer, ...participants] = process.argv.slice(2);
  const drill = process.env.DRILL || 'layoff_wave';
  const speed = Number(process.env.SPEED || 600);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const pages = [];
  for (const token of [trainer, ...participants]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(`${base}/#token=${token}&next=/drill`);
    await page.waitForSelector('#drill-live');
    pages.push(page);
  }
  await pages[0].waitForTimeout(500);
  const started = await pages[0].evaluate(async ([drill, speed, token]) => {
    const r = await fetch('/api/v1/drills', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ drill, daysPerMinute: speed }) });
    return [r.status, await r.json()];
  }, [drill, speed, trainer]);
  if (started[0] !== 201) throw new Error(`start failed: ${JSON.stringify(started[1])}`);
  const runId = started[1].state.runId;
  await pages[0].waitForFunction(() => (window.drillLines || []).some((l) => l.kind === 'finish' || l.kind === 'stop'), null, { timeout: 600000 });
  await pages[0].waitForTimeout(300);
  if (process.env.SCREENSHOT) await pages[pages.length - 1].screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  const lat = [];
  for (const page of pages) {
    const lines = await page.evaluate(() => window.drillLines || []);
    for (const l of lines) if (l.kind === 'event') lat.push(l.drawnAt - Date.parse(l.wall));
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.log(`${runId}: ${drill} at ${speed} drill days/min, ${pages.length} tabs, ${lat.length} event deliveries`);
  console.log(`event written → drawn on the dashboard, ms: min ${lat[0]} p50 ${q(0.5)} p95 ${q(0.95)} max ${lat[lat.length - 1]}`);
  await browser.close();
})();
