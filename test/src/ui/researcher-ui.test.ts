/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real
 * coordinator and three real nodes with the demo's policies: one browser and one federation for
 * the whole file. Every page is checked with axe-core (no serious or critical violations) and
 * photographed under test-artifacts/ui/; with UPDATE_DOCS=1 the results page also becomes the
 * README's screenshot (docs/images/results-page.png).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_QUESTIONS, DEMO_SITES, demoCatalogueOptions, startDemoFederation, type DemoFederation } from '@biospec/cli';
import { webUiRoot } from '@biospec/coordinator';
import { canonicalJson, canonicalise, referenceCount, type Query } from '@biospec/query';
import { generateCatalogue } from '@biospec/synthetic';
import { ARTIFACTS, launchChromium, REPO_ROOT, screenshot, seriousAxeViolations, watchProblems } from '../harness/browser.js';
import { biospec } from '../harness/cli.js';
import { startTestOidcProvider, type TestOidcProvider } from '../harness/oidc-provider.js';

const DONORS_PER_SITE = 2000;
/** Each test drives a browser on a shared 2-core machine: generous, never needed on a quiet one. */
const BROWSER_TEST_MS = 120_000;
const README_SCREENSHOT = 'docs/images/results-page.png';
const OIDC_USER = { subject: 'f3a1c2d4-olivia', name: 'Olivia Okafor', email: 'olivia.okafor@example.org' };

let provider: TestOidcProvider;
let federation: DemoFederation;
let url: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-ui-test-'));

/** The question as the REST API answers it, for comparing what the page shows. */
async function restCount(body: unknown): Promise<any> {
  const response = await fetch(`${url}/api/v1/count`, {
    method: 'POST',
    headers: { authorization: `Bearer ${federation.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

function prettyCanonical(query: unknown): string {
  return JSON.stringify(JSON.parse(canonicalJson(canonicalise(query as Query))), null, 2);
}

/** Checks the page with axe-core and photographs it. */
async function checkPage(name: string): Promise<void> {
  await screenshot(page, name);
  expect({ page: name, violations: await seriousAxeViolations(page) }).toEqual({ page: name, violations: [] });
}

async function signInWithToken(token: string): Promise<void> {
  await page.goto(`${url}/#/sign-in`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  await page.getByRole('heading', { name: 'Ask a feasibility question' }).waitFor();
}

async function openQueryPage(): Promise<void> {
  await page.getByRole('link', { name: 'Ask a question' }).click();
  await page.getByRole('heading', { name: 'Ask a feasibility question' }).waitFor();
  await page.getByRole('button', { name: 'Clear criteria' }).click();
}

async function ask(): Promise<void> {
  await page.getByRole('button', { name: 'Ask the network' }).click();
  const results = page.getByRole('heading', { name: 'Results', level: 1 });
  await results.or(page.locator('.error-summary')).waitFor();
  if (!(await results.isVisible())) throw new Error(`the question was refused: ${await page.locator('.error-summary').textContent()}`);
}

async function siteRow(nodeId: string) {
  return page.locator(`[data-testid=sites-table] tr[data-node="${nodeId}"]`);
}

beforeAll(async () => {
  if (webUiRoot({ webRoot: undefined }) === null) throw new Error('the web UI is not built: run npm run build');
  provider = await startTestOidcProvider({ user: OIDC_USER, redirectUris: () => [`${url}/`] });
  federation = await startDemoFederation({
    dir: path.join(workDir, 'federation'),
    donorsPerSite: DONORS_PER_SITE,
    coordinatorConfig: (config) => ({
      ...config,
      researcherIssuers: [
        ...config.researcherIssuers,
        {
          issuer: provider.issuer,
          audience: provider.audience,
          jwksUri: provider.jwksUri,
          unknownIdentities: 'auto',
          linkByVerifiedEmail: false,
          signIn: {
            name: 'Test identity provider',
            clientId: provider.clientId,
            authorizationEndpoint: provider.authorizationEndpoint,
            tokenEndpoint: provider.tokenEndpoint,
            scope: 'openid profile email',
            bearer: 'access_token',
          },
        },
      ],
    }),
  });
  url = `http://${federation.http.address}`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  problems = watchProblems(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await federation?.stop();
  await provider?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** The API refusals the tests provoke on purpose: a forged token at sign-in, questions with a wrong field. */
const PROVOKED = ['401 GET /api/v1/nodes', '400 POST /api/v1/count'];

afterEach(() => {
  // No script error and no content-security-policy violation on any page.
  const seen = problems.splice(0);
  expect(seen.filter((p) => !PROVOKED.includes(p))).toEqual([]);
});

describe('the web UI in a browser', () => {
  test('is served under / with a content security policy that allows nothing inline', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${provider.issuer}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(`${url}/api/v1/no-such-route`)).status).toBe(404);
  }, BROWSER_TEST_MS);

  test('the sign-in page refuses a token the coordinator does not accept, at the token field', async () => {
    await page.goto(`${url}/`);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign in with Test identity provider' }).waitFor();
    await checkPage('sign-in');

    await page.getByLabel('Bearer token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await expect(page.locator('#token-error').textContent()).resolves.toContain('not a JSON Web Token');

    const { privateKey } = await generateKeyPair('EdDSA');
    const forged = await new SignJWT({ roles: ['researcher'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'forged' })
      .setIssuer('coordinator')
      .setSubject('mallory')
      .setAudience('biospec-coordinator')
      .setExpirationTime('1h')
      .sign(privateKey);
    await page.getByLabel('Bearer token').fill(forged);
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await page.locator('#token-error').getByText('UNAUTHENTICATED').waitFor();
    await expect(page.getByLabel('Bearer token').getAttribute('aria-invalid')).resolves.toBe('true');
    await checkPage('sign-in-refused');
  }, BROWSER_TEST_MS);

  test("a researcher builds the demo's first question, sees per-site results, the chart and the bounds, and exports a bundle that biospec verify accepts", async () => {
    await signInWithToken(federation.token);
    const demo = DEMO_QUESTIONS[0]!.request;

    // The diagnosis by keyboard: search by title, arrow to the option, Enter.
    const diagnosis = page.getByRole('combobox', { name: 'Diagnosis (ICD-10)' });
    await diagnosis.focus();
    await page.keyboard.type('breast');
    await page.getByRole('option', { name: /C50 Malignant neoplasm of breast/ }).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Chosen diagnoses' }).getByText('C50').waitFor();
    await page.getByLabel('Tissue (FFPE)').check();
    await page.getByRole('group', { name: 'Donor sex' }).getByLabel('Female').check();
    await page.locator('#age-min').fill('40');
    await page.locator('#age-max').fill('60');
    await page.getByLabel(/Purpose of the research/).selectOption(demo.purpose);
    await page.getByLabel(/^Project/).fill(demo.project);

    // The canonical query shown is the one the coordinator will sign.
    await expect(page.getByTestId('canonical-query').textContent()).resolves.toBe(prettyCanonical(demo.query));
    await checkPage('query-demo-first-question');

    await ask();
    const expected = await restCount(demo); // a repeat: free, and the same deterministic figures
    const shownCanonical = await page.locator('details pre').textContent();
    expect(JSON.parse(shownCanonical ?? '')).toEqual(JSON.parse(expected.canonicalQueryJson));

    // Every site answered; each figure is the node's own display, never a bare number unless exact.
    for (const site of expected.sites) {
      const row = await siteRow(site.nodeId);
      await expect(row.locator('.badge').textContent()).resolves.toBe('ok');
      const shown = (await row.getByTestId('site-figure').textContent())?.trim();
      expect(shown).toBe(site.total.display);
      if (site.total.disclosure.kind !== 'DISCLOSURE_KIND_EXACT') {
        expect(shown).not.toBe(String(site.total.value ?? ''));
        expect(shown).toMatch(/^(about |<)/);
      }
      await expect(row.locator('.mark').textContent()).resolves.toMatch(/noisy|below threshold|rounded/);
      await expect(row.textContent()).resolves.toMatch(/\d+ ms/);
    }
    // The merged total and its bounds.
    await expect(page.getByTestId('merged-display').textContent()).resolves.toBe(expected.total.display);
    const released = expected.total.releasedSum ?? 0;
    const upper = released + (expected.total.withheldMax ?? 0);
    const bounds = await page.getByTestId('merged-bounds').textContent();
    expect(bounds).toContain(upper === released ? `about ${released.toLocaleString('en')}` : `from about ${released.toLocaleString('en')} to about ${upper.toLocaleString('en')}`);
    // The chart: one row per site, described for assistive technology.
    const chart = page.getByTestId('sites-chart');
    await expect(chart.locator('.chart-row').count()).resolves.toBe(3);
    await expect(chart.getAttribute('role')).resolves.toBe('img');
    const results = await screenshot(page, 'results');
    expect({ page: 'results', violations: await seriousAxeViolations(page) }).toEqual({ page: 'results', violations: [] });
    if (process.env.UPDATE_DOCS === '1') fs.copyFileSync(results, path.join(REPO_ROOT, README_SCREENSHOT));

    // The signed bundle, checked offline by the CLI.
    const [bundleDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download signed bundle (JSON)' }).click()]);
    const bundleFile = path.join(workDir, bundleDownload.suggestedFilename());
    await bundleDownload.saveAs(bundleFile);
    expect(bundleDownload.suggestedFilename()).toMatch(/\.bundle\.json$/);
    const verified = await biospec(['verify', bundleFile]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('3 of 3 answers: signatures match the keys inside the bundle');
    // Checked against keys obtained apart from the bundle, too.
    const jwksFile = path.join(workDir, 'nodes.jwks.json');
    fs.writeFileSync(jwksFile, JSON.stringify(await (await fetch(`${url}/api/v1/jwks`)).json()));
    const trusted = await biospec(['verify', bundleFile, '--jwks', jwksFile, '--require-trusted']);
    expect(trusted.code).toBe(0);

    // The CSV: a row per figure, each saying how it was protected.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csvFile = path.join(workDir, csvDownload.suggestedFilename());
    await csvDownload.saveAs(csvFile);
    const csv = fs.readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
    expect(csv[0]?.startsWith('scope,node_id,node_name,status,stratum,display,protection,released_value')).toBe(true);
    for (const site of expected.sites) {
      expect(csv.some((line) => line.startsWith(`site,${site.nodeId},`) && line.includes(`,${site.total.disclosure.kind === 'DISCLOSURE_KIND_NOISY' ? 'noisy' : 'below threshold'},`))).toBe(true);
    }
  }, BROWSER_TEST_MS);

  test('a stratified question shows a chart per stratum and every cell of the breakdown', async () => {
    await openQueryPage();
    const demo = DEMO_QUESTIONS[1]!.request;
    await page.getByLabel(/^Donors/).check();
    const diagnosis = page.getByRole('combobox', { name: 'Diagnosis (ICD-10)' });
    await diagnosis.fill('I21');
    await diagnosis.press('Enter');
    await diagnosis.fill('I25');
    await diagnosis.press('Enter');
    await page.getByLabel('Serum').check();
    await page.getByLabel('Plasma').check();
    await page.getByLabel(/consent permits this purpose/).uncheck();
    await page.getByRole('group', { name: /strata/ }).getByLabel('Sex').check();
    await page.getByLabel(/^Project/).fill(demo.project);
    await expect(page.getByTestId('canonical-query').textContent()).resolves.toBe(prettyCanonical(demo.query));
    await ask();

    const expected = await restCount(demo);
    const rows = page.locator('[data-testid=strata-table] tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    await expect(rows.locator('th').allTextContents()).resolves.toEqual(['Female', 'Male', 'Other', 'Unknown']);
    for (const [i, cell] of (expected.strata as { total: { display: string } }[]).entries()) {
      await expect(rows.nth(i).locator('td').first().textContent()).resolves.toBe(cell.total.display);
    }
    await expect(page.getByTestId('strata-chart').locator('.chart-row').count()).resolves.toBe(4);
    await checkPage('results-stratified');
  }, BROWSER_TEST_MS);

  test("a wrong field shows the API's error at that field", async () => {
    await openQueryPage();
    const diagnosis = page.getByRole('combobox', { name: 'Diagnosis (ICD-10)' });
    await diagnosis.fill('XYZ');
    await diagnosis.press('Enter');
    await page.getByLabel(/^Project/).fill('error-check');
    await page.getByRole('button', { name: 'Ask the network' }).click();
    const diagnosisError = page.locator('#diagnoses-error');
    await diagnosisError.waitFor();
    await expect(diagnosisError.textContent()).resolves.toContain("'XYZ' is not an ICD-10 code");
    await expect(diagnosis.getAttribute('aria-describedby')).resolves.toContain('diagnoses-error');
    // The summary names the code, takes the focus, and links to the field.
    const summary = page.getByRole('alert');
    await expect(summary.textContent()).resolves.toContain('INVALID_QUERY');
    await expect(page.evaluate('document.activeElement.className')).resolves.toBe('error-summary');
    await checkPage('query-error-diagnosis');
    await summary.getByRole('link', { name: /Diagnosis/ }).click();
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('diagnoses');

    await page.getByRole('button', { name: 'Remove XYZ' }).click();
    await page.locator('#age-min').fill('70');
    await page.locator('#age-max').fill('40');
    await page.getByRole('button', { name: 'Ask the network' }).click();
    await page.locator('#age-min-error').getByText('min (70) is greater than max (40)').waitFor();
    await expect(page.locator('#diagnoses-error').count()).resolves.toBe(0);

    await page.locator('#age-min').fill('');
    await page.getByLabel(/^Project/).fill('  ');
    await page.getByRole('button', { name: 'Ask the network' }).click();
    await page.locator('#project-error').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Project: empty');
  }, BROWSER_TEST_MS);

  test('the history lists the questions asked, asks one again, and the network page shows the budget left at each site', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'Question history' }).waitFor();
    const rows = page.locator('[data-testid=history-table] tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await checkPage('history');
    await rows.last().getByRole('button', { name: /Ask again/ }).click();
    await page.getByRole('heading', { name: 'Ask a feasibility question' }).waitFor();
    await expect(page.getByTestId('canonical-query').textContent()).resolves.toBe(prettyCanonical(DEMO_QUESTIONS[0]!.request.query));

    await page.getByRole('link', { name: 'Network and budget' }).click();
    const nodes = page.locator('[data-testid=nodes-table] tbody tr');
    await nodes.first().waitFor();
    await expect(nodes.count()).resolves.toBe(3);
    const budget = await nodes.filter({ hasText: 'northbridge-uh' }).getByTestId('budget-cell').textContent();
    expect(budget).toMatch(/^ε [\d.]+ of 50 left over 30 days/);
    await checkPage('network');
  }, BROWSER_TEST_MS);

  test('works at a narrow width: no sideways scrolling, and the checks still pass', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.getByRole('link', { name: 'History' }).click();
      await page.locator('[data-testid=history-table] tbody tr').last().getByRole('link').click();
      await page.getByRole('heading', { name: 'Results', level: 1 }).waitFor();
      await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
      await checkPage('results-narrow');
      await page.getByRole('link', { name: 'Ask a question' }).click();
      await page.getByRole('heading', { name: 'Ask a feasibility question' }).waitFor();
      await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
      await checkPage('query-narrow');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, BROWSER_TEST_MS);

  test('signs in with the OpenID Connect provider (authorization code with PKCE) and asks as that person', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();

    // A callback that does not answer this tab's sign-in is refused.
    await page.getByRole('button', { name: 'Sign in with Test identity provider' }).click();
    await page.getByRole('heading', { name: 'Test identity provider' }).waitFor();
    await page.goto(`${url}/?code=stolen&state=forged`);
    await page.getByRole('alert').getByText('state does not match').waitFor();
    expect(provider.tokenRequests).toEqual([]);

    await page.getByRole('button', { name: 'Sign in with Test identity provider' }).click();
    await page.getByRole('button', { name: `Continue as ${OIDC_USER.name}` }).click();
    await page.getByRole('heading', { name: 'Ask a feasibility question' }).waitFor();
    await expect(page.locator('.user-name').textContent()).resolves.toContain(OIDC_USER.name);
    expect(new URL(page.url()).search).toBe('');
    expect(provider.tokenRequests).toEqual([{ grantType: 'authorization_code', pkceVerified: true, status: 200 }]);

    await page.getByLabel(/Purpose of the research/).selectOption('DUO:0000042');
    await page.getByLabel(/^Project/).fill('oidc-check');
    await ask();
    await expect(page.locator('[data-testid=sites-table] tbody tr .badge').allTextContents()).resolves.toEqual(['ok', 'ok', 'ok']);
    // The provider's identity has its own researcher record at the coordinator.
    expect(federation.coordinator.people.findByIdentity({ issuer: provider.issuer, subject: OIDC_USER.subject })).toBeDefined();
  }, BROWSER_TEST_MS);

  test('an unreachable site and a below-threshold site are shown as such', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWithToken(federation.token);
    // The population biobank releases without noise: its figure follows the truth, which is under its threshold here.
    const query: Query = { unit: 'specimens', where: { op: 'and', args: [{ op: 'in', field: 'material_type', values: ['tissue-ffpe'] }, { op: 'diagnosis', codes: ['C50'] }] } };
    const population = DEMO_SITES[2]!;
    const truth = referenceCount(query, [...generateCatalogue(demoCatalogueOptions(population, 2, { donorsPerSite: DONORS_PER_SITE }))]).total;
    expect(truth).toBeLessThan(population.policy.threshold ?? 10);
    const heart = federation.nodes.find((n) => n.site.id === 'lakeside-heart')!;
    await heart.server.stop(0);

    await openQueryPage();
    const diagnosis = page.getByRole('combobox', { name: 'Diagnosis (ICD-10)' });
    await diagnosis.fill('C50');
    await diagnosis.press('Enter');
    await page.getByLabel('Tissue (FFPE)').check();
    await page.getByLabel(/Purpose of the research/).selectOption('DUO:0000042');
    await page.getByLabel(/consent permits this purpose/).uncheck();
    await page.getByLabel(/^Project/).fill('unreachable-check');
    await ask();

    const down = await siteRow('lakeside-heart');
    await expect(down.locator('.badge').textContent()).resolves.toBe('unreachable');
    await expect(down.getByTestId('site-figure').textContent()).resolves.toBe('—');
    const below = await siteRow('riverside-pop');
    await expect(below.getByTestId('site-figure').textContent()).resolves.toBe('<10');
    await expect(below.locator('.mark').textContent()).resolves.toBe('below threshold');
    await expect(page.getByTestId('merged-bounds').textContent()).resolves.toContain('2 of 3');
    await expect(page.getByTestId('merged-display').textContent()).resolves.toMatch(/below threshold/);
    const rows = page.getByTestId('sites-chart').locator('.chart-row');
    await expect(rows.nth(2).locator('rect').getAttribute('fill')).resolves.toBe('url(#sites-chart-hatch)');
    await expect(rows.nth(1).locator('rect').count()).resolves.toBe(0);
    await expect(rows.nth(1).locator('.chart-value').textContent()).resolves.toBe('unreachable');
    await checkPage('results-unreachable');
  }, BROWSER_TEST_MS);

  test('the README shows the results page the tests photograph', () => {
    expect(fs.existsSync(path.join(REPO_ROOT, README_SCREENSHOT))).toBe(true);
    expect(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`](${README_SCREENSHOT})`);
    expect(fs.existsSync(path.join(ARTIFACTS, 'results.png'))).toBe(true);
  }, BROWSER_TEST_MS);
});
