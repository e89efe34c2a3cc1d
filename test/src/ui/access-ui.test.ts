/**
 * The access workflow in the web UI, in a real browser against a real coordinator and three
 * real nodes with published collections: a researcher asks which collections hold specimens and
 * requests access; staff review and approve it, and approve a node's membership; each site's
 * steward decides for their site; everyone sees the timeline. Every page is checked with
 * axe-core and photographed under test-artifacts/ui/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { signMembershipApplication } from '@biospec/access';
import { startDemoFederation, type DemoFederation } from '@biospec/cli';
import { issueResearcher, webUiRoot } from '@biospec/coordinator';
import { generateSigningKey, importSigningKey } from '@biospec/trust';
import { launchChromium, watchProblems } from '../harness/browser.js';
import { checkPage, signInWithToken, signOut, textBecomes } from '../harness/ui-pages.js';

const BROWSER_TEST_MS = 120_000;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-ui-access-'));
let federation: DemoFederation;
let url: string;
let browser: Browser;
let page: Page;
let problems: string[];
let requestId = '';

function tokenOf(role: string): string {
  const account = federation.accounts.find((a) => a.roles.includes(role as never));
  if (!account) throw new Error(`the demo has no account with the role ${role}`);
  return account.token;
}

/** Opens an action's reason form, fills the reason and confirms. */
async function act(scope: ReturnType<Page['locator']> | Page, label: string, reason: string): Promise<void> {
  await scope.getByRole('button', { name: label, exact: true }).click();
  const form = page.getByRole('form', { name: label });
  await form.getByLabel(/^Reason for/).fill(reason);
  await form.getByRole('button', { name: /^Confirm/ }).click();
  await form.waitFor({ state: 'detached' });
}

beforeAll(async () => {
  if (webUiRoot({ webRoot: undefined }) === null) throw new Error('the web UI is not built: run npm run build');
  federation = await startDemoFederation({ dir: path.join(workDir, 'federation'), donorsPerSite: 800 });
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

/** The API refusals the tests provoke on purpose: an empty title, a decline without a reason (request and site). */
const PROVOKED = [/^400 POST \/api\/v1\/access\/requests$/, /^400 POST \/api\/v1\/access\/requests\/req-[a-z0-9]+(\/sites\/[a-z0-9-]+)?\/actions\/decline$/];

afterEach(() => {
  // No script error, no content-security-policy violation, no API refusal but those provoked.
  const seen = problems.splice(0);
  expect(seen.filter((p) => !PROVOKED.some((r) => r.test(p)))).toEqual([]);
});

describe('the access workflow in a browser', () => {
  test('a researcher sees availability by collection and requests access from a result', async () => {
    await signInWithToken(page, url, tokenOf('researcher'));
    const diagnosis = page.getByRole('combobox', { name: 'Diagnosis (ICD-10)' });
    await diagnosis.fill('C50');
    await diagnosis.press('Enter');
    await page.getByLabel(/Purpose of the research/).selectOption('DUO:0000006');
    await page.getByLabel(/^Project/).fill('cohort-study');
    await page.getByRole('button', { name: 'Ask the network' }).click();
    await page.getByRole('heading', { name: 'Results', level: 1 }).waitFor();

    const availabilityCalls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/availability') availabilityCalls.push(request.method());
    });
    await page.getByRole('link', { name: /Which collections have them/ }).click();
    await page.getByTestId('availability-total').waitFor();
    const first = page.locator('section[data-node="northbridge-uh"]');
    const second = page.locator('section[data-node="lakeside-heart"]');
    // Every collection the site published is listed, with every material.
    await expect(first.locator('tbody tr').count()).resolves.toBeGreaterThan(1);
    await expect(first.locator('tbody tr').first().locator('details li').count()).resolves.toBe(15);
    await checkPage(page, 'availability');

    await first.locator('input[type=checkbox]').first().check();
    await second.locator('input[type=checkbox]').first().check();
    // The page asked once, however often it has drawn itself since (ticking boxes redraws it).
    expect(availabilityCalls).toEqual(['POST']);
    // The API's refusal of an empty title lands at the title field.
    await page.getByRole('button', { name: 'Create the request (draft)' }).click();
    await page.locator('#request-title-error').getByText('title is empty').waitFor();
    await page.getByLabel(/^Title/).fill('Breast cancer cohort');
    await page.getByLabel('Description of the project and what you need').fill('FFPE blocks for a methylation study.');
    await page.getByLabel('Ethics committee reference').fill('EC-2026-17');
    const [privateKey] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Make a key pair in this browser' }).click()]);
    expect(privateKey.suggestedFilename()).toMatch(/^biospec-access-key-.*\.jwk\.json$/);
    await page.getByRole('button', { name: 'Create the request (draft)' }).click();
    await page.getByRole('heading', { name: 'Breast cancer cohort' }).waitFor();
    await textBecomes(page.getByTestId('request-state'), 'draft');
    requestId = new URL(page.url()).hash.split('/').pop() as string;
    expect(requestId).toMatch(/^req-/);
    await expect(page.locator('[data-testid=request-sites] tbody tr').count()).resolves.toBe(2);

    await act(page, 'Submit the request', 'ready for review');
    await textBecomes(page.getByTestId('request-state'), 'submitted');
    await checkPage(page, 'request-researcher');
  }, BROWSER_TEST_MS);

  test('staff review and approve the request, with a comment, from the review queue', async () => {
    await signOut(page);
    await signInWithToken(page, url, tokenOf('staff'));
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    const row = page.locator(`[data-testid=requests-table] tr[data-request="${requestId}"]`);
    await expect(row.textContent()).resolves.toContain('submitted');
    await checkPage(page, 'review-queue');
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Breast cancer cohort' }).waitFor();
    await act(page, 'Take under review', '');
    await textBecomes(page.getByTestId('request-state'), 'under review');
    // Declining needs a reason: the API says so at the reason field.
    await page.getByRole('button', { name: 'Decline the request', exact: true }).click();
    const decline = page.getByRole('form', { name: 'Decline the request' });
    await decline.getByRole('button', { name: /^Confirm/ }).click();
    await decline.getByText('a reason is required to decline a request').waitFor();
    await decline.getByRole('button', { name: 'Cancel' }).click();
    await act(page, 'Approve the request', 'ethics vote and purpose in order');
    await textBecomes(page.getByTestId('request-state'), 'approved');
    await page.getByLabel('Add a comment').fill('Please send the MTA with your first shipment.');
    await page.getByRole('button', { name: 'Add the comment' }).click();
    await page.getByTestId('comments').getByText('Please send the MTA').waitFor();
    await checkPage(page, 'request-staff');
  }, BROWSER_TEST_MS);

  test("staff approve a node's membership and suspend it with a reason", async () => {
    const nodeKey = await importSigningKey((await generateSigningKey({ kid: 'harbour-k1' })).privateJwk);
    const application = signMembershipApplication(
      { nodeId: 'harbour-biobank', name: 'Harbour Biobank', endpoint: '127.0.0.1:9', jwks: { keys: [nodeKey.publicJwk] }, contact: 'biobank@harbour.example.org' },
      nodeKey,
    );
    const { token } = await issueResearcher(path.join(federation.dir, 'coordinator'), { subject: 'operator@harbour.example.org', roles: ['operator:harbour-biobank'] });
    const applied = await fetch(`${url}/api/v1/membership/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ application }),
    });
    expect(applied.status).toBe(201);

    await page.getByRole('link', { name: 'Membership' }).click();
    const row = page.locator('[data-testid=membership-table] tr[data-node="harbour-biobank"]');
    await textBecomes(row.locator('.badge'), 'applied');
    await checkPage(page, 'membership');
    await act(row, 'Approve membership', 'contract signed');
    await textBecomes(row.locator('.badge'), 'approved');
    await act(row, 'Suspend', 'endpoint not reachable yet');
    await textBecomes(row.locator('.badge'), 'suspended');
    await row.getByRole('link', { name: 'Harbour Biobank' }).click();
    await page.getByText('endpoint not reachable yet').waitFor();
    await checkPage(page, 'membership-history');
  }, BROWSER_TEST_MS);

  test('staff see the network health: last seen, status, latency, error rate, software version and data epoch of each node', async () => {
    await page.getByRole('link', { name: 'Network health' }).click();
    const rows = page.locator('[data-testid=health-table] tbody tr');
    await rows.first().waitFor();
    for (const node of federation.nodes) {
      const row = page.locator(`[data-testid=health-table] tr[data-node="${node.site.id}"]`);
      await textBecomes(row.locator('.badge'), 'ok');
      await expect(row.textContent()).resolves.toMatch(/\d+ \/ \d+ ms/);
      await expect(row.locator('td[data-label="Software"]').textContent()).resolves.toBe('biospec 0.1.0');
      await expect(row.locator('td[data-label="Data epoch"]').textContent()).resolves.toBe('1');
      await expect(row.locator('td[data-label="Error rate"]').textContent()).resolves.toBe('0 %');
    }
    await expect(page.locator('[data-testid=health-table] tr[data-node="harbour-biobank"]').textContent()).resolves.toContain('suspended');
    await checkPage(page, 'network-health');
  }, BROWSER_TEST_MS);

  test('each steward decides for their own site, with the reason recorded', async () => {
    await signOut(page);
    await signInWithToken(page, url, tokenOf('steward:northbridge-uh'));
    await page.getByRole('heading', { name: 'My sites' }).waitFor();
    const mine = page.getByTestId('steward-requests-northbridge-uh');
    await expect(mine.textContent()).resolves.toContain('pending');
    await checkPage(page, 'steward-sites');
    await mine.getByRole('link', { name: 'Breast cancer cohort' }).click();
    const site = page.locator('[data-testid=request-sites] tr[data-node="northbridge-uh"]');
    // Only their own site offers decisions.
    await expect(page.locator('[data-testid=request-sites] tr[data-node="lakeside-heart"] button').count()).resolves.toBe(0);
    await act(site, 'Approve for this site', 'collection curator agrees');
    await textBecomes(site.locator('.badge'), 'approved');
    await expect(site.locator('td[data-label="Grant"]').textContent()).resolves.toMatch(/^signed, valid until/);
    await checkPage(page, 'request-steward');

    await signOut(page);
    await signInWithToken(page, url, tokenOf('steward:lakeside-heart'));
    await page.getByTestId('steward-requests-lakeside-heart').getByRole('link', { name: 'Breast cancer cohort' }).click();
    const other = page.locator('[data-testid=request-sites] tr[data-node="lakeside-heart"]');
    await other.getByRole('button', { name: 'Decline for this site', exact: true }).click();
    const decline = page.getByRole('form', { name: 'Decline for this site' });
    await decline.getByRole('button', { name: /^Confirm/ }).click();
    await decline.getByText('a reason is required to decline a request for a site').waitFor();
    await decline.getByLabel(/^Reason for/).fill('no consent for this purpose');
    await decline.getByRole('button', { name: /^Confirm/ }).click();
    await textBecomes(other.locator('.badge'), 'declined');
  }, BROWSER_TEST_MS);

  test("the researcher follows the request's timeline: every step with who, when and why", async () => {
    await signOut(page);
    await signInWithToken(page, url, tokenOf('researcher'));
    await page.getByRole('link', { name: 'My requests' }).click();
    await page.locator(`[data-testid=requests-table] tr[data-request="${requestId}"]`).getByRole('link').click();
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('no consent for this purpose').waitFor();
    const steps = await timeline.locator('li').allTextContents();
    for (const expected of ['draft', 'submitted', 'under review', 'approved', 'northbridge-uh: pending → approved', 'lakeside-heart: pending → declined']) {
      expect(steps.some((s) => s.includes(expected))).toBe(true);
    }
    expect(steps.some((s) => s.includes('ethics vote and purpose in order') && s.includes('(staff)'))).toBe(true);
    await checkPage(page, 'request-timeline');
  }, BROWSER_TEST_MS);

  test('a node operator, whose work is in the CLI, is told so instead of landing on a page they may not use', async () => {
    await signOut(page);
    await signInWithToken(page, url, tokenOf('operator:northbridge-uh'));
    await page.getByRole('heading', { name: 'Nothing to do here for your roles', level: 1 }).waitFor();
    await page.getByText('operator:northbridge-uh').first().waitFor();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link').count()).resolves.toBe(0);
    await checkPage(page, 'operator');
  }, BROWSER_TEST_MS);
});
