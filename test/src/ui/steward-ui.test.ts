/**
 * Held questions in the web UI, in a real browser against a real coordinator and the demo's
 * three real nodes as `biospec demo` runs them (the population biobank holds every answer for
 * its steward): a researcher's question is shown held; the site's steward releases it from "My
 * sites" by keyboard with a reason, and the researcher's repeat gets the figures; another is
 * declined (a reason is required, and the page says so at the field), and the researcher's
 * repeat shows the steward's reason. Every page is checked with axe-core and photographed
 * under test-artifacts/ui/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO_SITES_WITH_HOLD, startDemoFederation, type DemoFederation } from '@biospec/cli';
import { webUiRoot } from '@biospec/coordinator';
import { launchChromium, watchProblems } from '../harness/browser.js';
import { checkPage, signInWithToken, signOut, textBecomes } from '../harness/ui-pages.js';

const BROWSER_TEST_MS = 120_000;
const HOLDING = 'riverside-pop';
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-ui-steward-'));
let federation: DemoFederation;
let url: string;
let browser: Browser;
let page: Page;
let problems: string[];

function tokenOf(role: string): string {
  const account = federation.accounts.find((a) => a.roles.includes(role as never));
  if (!account) throw new Error(`the demo has no account with the role ${role}`);
  return account.token;
}

beforeAll(async () => {
  if (webUiRoot({ webRoot: undefined }) === null) throw new Error('the web UI is not built: run npm run build');
  expect(DEMO_SITES_WITH_HOLD.find((s) => s.id === HOLDING)?.policy.release).toBe('hold');
  federation = await startDemoFederation({ dir: path.join(workDir, 'federation'), donorsPerSite: 800, sites: DEMO_SITES_WITH_HOLD });
  url = `http://${federation.http.address}`;
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  problems = watchProblems(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await federation?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** The one API refusal provoked on purpose: a decline without a reason. */
const PROVOKED = [/^400 POST \/api\/v1\/sites\/riverside-pop\/holds\/[0-9a-f-]+\/decline$/];

afterEach(() => {
  const seen = problems.splice(0);
  expect(seen.filter((p) => !PROVOKED.some((r) => r.test(p)))).toEqual([]);
});

/** Signs in as the researcher and asks a question with one diagnosis, for a project; returns the held site's row. */
async function askAsResearcher(code: string, project: string) {
  await signInWithToken(page, url, tokenOf('researcher'));
  await page.getByRole('link', { name: 'Ask a question' }).click();
  await page.getByRole('heading', { name: 'Ask a feasibility question' }).waitFor();
  await page.getByRole('button', { name: 'Clear criteria' }).click();
  const diagnosis = page.getByRole('combobox', { name: 'Diagnosis (ICD-10)' });
  await diagnosis.fill(code);
  await diagnosis.press('Enter');
  await page.getByLabel(/Purpose of the research/).selectOption('DUO:0000006');
  await page.getByLabel(/^Project/).fill(project);
  await page.getByRole('button', { name: 'Ask the network' }).click();
  await page.getByRole('heading', { name: 'Results', level: 1 }).waitFor();
  return page.locator(`[data-testid=sites-table] tr[data-node="${HOLDING}"]`);
}

/** Signs in as the holding site's steward and opens "My sites"; returns the row of the held question asked for `project`. */
async function heldRowAsSteward(project: string) {
  await signInWithToken(page, url, tokenOf(`steward:${HOLDING}`));
  await page.getByRole('link', { name: 'My sites' }).click();
  await page.getByRole('heading', { name: 'My sites', level: 1 }).waitFor();
  const row = page.getByTestId(`steward-holds-${HOLDING}`).locator('tbody tr').filter({ hasText: `project ${project}` });
  await row.waitFor();
  return row;
}

describe('held questions in a browser', () => {
  test("the researcher sees the site held; its steward releases the question by keyboard with a reason; the repeat gets the figures", async () => {
    const held = await askAsResearcher('C50', 'held-then-released');
    await expect(held.locator('.badge').textContent()).resolves.toBe('held');
    await expect(held.getByTestId('site-figure').textContent()).resolves.toBe('held for review');
    await expect(held.locator('.mark').textContent()).resolves.toBe('held');
    // The other sites answered as usual.
    await expect(page.locator('[data-testid=sites-table] tr[data-node="northbridge-uh"] .badge').textContent()).resolves.toBe('ok');
    await checkPage(page, 'results-held');
    await signOut(page);

    const row = await heldRowAsSteward('held-then-released');
    await expect(row.textContent()).resolves.toContain('DUO:0000006');
    await expect(row.locator('code').textContent()).resolves.toContain('"C50"');
    // The figures stay at the node: the steward decides on the question alone.
    await expect(row.textContent()).resolves.not.toMatch(/about \d|held for review/);
    await checkPage(page, 'steward-held-questions');

    // By keyboard: Enter on the button, the reason typed into its labelled field, Tab to confirm, Enter.
    const release = row.getByRole('button', { name: /^Release question / });
    const label = (await release.textContent()) as string;
    await release.focus();
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: label });
    await form.getByLabel(/^Reason for releasing/).focus();
    await page.keyboard.type('coarse enough for a feasibility count');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await form.waitFor({ state: 'detached' });
    const decided = page.getByTestId(`steward-decided-${HOLDING}`).locator('tbody tr').filter({ hasText: 'held-then-released' });
    await textBecomes(decided.locator('.badge'), 'released');
    await expect(decided.textContent()).resolves.toContain('coarse enough for a feasibility count');
    await expect(decided.textContent()).resolves.toContain(`Steward of ${HOLDING}`);
    await checkPage(page, 'steward-released');
    await signOut(page);

    const again = await askAsResearcher('C50', 'held-then-released');
    await expect(again.locator('.badge').textContent()).resolves.toBe('ok');
    await expect(again.getByTestId('site-figure').textContent()).resolves.toMatch(/^(\d+|<\d+|about \d+)/);
    await signOut(page);
  }, BROWSER_TEST_MS);

  test("a decline needs a reason, shown at the field; declined, the researcher's repeat shows the steward's reason", async () => {
    await askAsResearcher('I21', 'held-then-declined');
    await signOut(page);

    const row = await heldRowAsSteward('held-then-declined');
    await row.getByRole('button', { name: /^Decline question / }).click();
    const form = page.getByRole('form', { name: /^Decline question / });
    await form.getByRole('button', { name: /^Confirm/ }).click();
    await form.getByText('a reason is required to decline a held question').waitFor();
    await expect(form.getByLabel(/^Reason for declining/).getAttribute('aria-invalid')).resolves.toBe('true');
    await checkPage(page, 'steward-decline-needs-reason');
    await form.getByLabel(/^Reason for declining/).fill('too close to identifying donors for this project');
    await form.getByRole('button', { name: /^Confirm/ }).click();
    await form.waitFor({ state: 'detached' });
    const decided = page.getByTestId(`steward-decided-${HOLDING}`).locator('tbody tr').filter({ hasText: 'held-then-declined' });
    await textBecomes(decided.locator('.badge'), 'declined');
    await signOut(page);

    const refused = await askAsResearcher('I21', 'held-then-declined');
    await expect(refused.locator('.badge').textContent()).resolves.toBe('rejected');
    await expect(refused.textContent()).resolves.toContain('the steward declined this question: too close to identifying donors for this project');
    await checkPage(page, 'results-declined');
  }, BROWSER_TEST_MS);
});
