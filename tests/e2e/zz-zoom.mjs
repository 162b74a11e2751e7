import { launchChromium } from './browser.mjs';
const b = await launchChromium();
const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(process.argv[2] + '?range=phase');
await page.waitForSelector('[data-testid="checklist"] [data-testid="check-tick"]', { timeout: 60000 });
await page.addStyleTag({ content: ':root { font-size: 30px !important; }' });
await page.waitForTimeout(500);
console.log(await page.evaluate(() => {
  return [...document.querySelectorAll('[data-testid="phase-panel"] *, [data-testid="canary-vs-control"] *')].filter(el => { const p = el.closest('section.panel').getBoundingClientRect(); const r = el.getBoundingClientRect(); return r.width && r.right > p.right + 1 && !el.closest('.table-scroll, .chart'); }).map(el => `${el.closest('section.panel').dataset.testid}: ${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().width)} ${el.textContent.slice(0,40)}`).slice(0, 25);
}));
await b.close();
