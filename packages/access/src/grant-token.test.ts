import { BiospecError } from '@biospec/protocol';
import { createKeyRing, generateSigningKey, importSigningKey, signCompactJws, type KeyRing, type QueryClaims, type SigningKey } from '@biospec/trust';
import { checkGrant, checkRevocationStamp, GRANT_TOKEN_TYPE, revocationListDigest, signGrant, signRevocationList, type IssueGrantInput, type SeenRevocations } from './grant-token.js';

let coordinator: SigningKey;
let other: SigningKey;
let ring: KeyRing;
const NOW = Date.parse('2026-03-01T09:00:00.000Z');
const HASH = 'd'.repeat(64);

beforeAll(async () => {
  coordinator = await importSigningKey((await generateSigningKey({ kid: 'coord-1' })).privateJwk);
  other = await importSigningKey((await generateSigningKey({ kid: 'coord-1' })).privateJwk);
  ring = await createKeyRing([coordinator.publicJwk], { issuers: ['coordinator'] });
});

function grantInput(over: Partial<IssueGrantInput> = {}): IssueGrantInput {
  return {
    issuer: 'coordinator',
    subject: 'r-alice',
    nodeId: 'north',
    visaValue: 'https://coordinator.example/api/v1/access/requests/req-1',
    source: 'https://coordinator.example',
    asserted: new Date(NOW - 3600_000),
    lifetimeSeconds: 86400,
    now: new Date(NOW),
    scope: { request: 'req-1', query_hash: HASH, collections: ['breast'], jkt: 'k'.repeat(43) },
    ...over,
  };
}

function question(over: Partial<QueryClaims> = {}): QueryClaims {
  return {
    iss: 'coordinator',
    aud: 'north',
    iat: NOW / 1000,
    exp: NOW / 1000 + 120,
    jti: 'q-1',
    query: { unit: 'specimens' },
    query_hash: HASH,
    purpose: 'DUO:0000006',
    researcher: 'r-alice',
    project: 'p',
    question: 'granted-availability',
    request: 'req-1',
    revocations: { version: 0, sha256: '' },
    ...over,
  };
}

async function refusal(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(BiospecError);
    return { code: (error as BiospecError).code, message: (error as BiospecError).message };
  }
  throw new Error('expected a refusal');
}

/** What a node does with a granted question: the revocation stamp, then the grant. */
async function check(
  grant: string,
  over: { revocationList?: string; claims?: QueryClaims; nodeId?: string; seen?: SeenRevocations } = {},
): Promise<{ grant: Awaited<ReturnType<typeof checkGrant>>; newer: Awaited<ReturnType<typeof checkRevocationStamp>>['newer'] }> {
  const claims = over.claims ?? question();
  const stamp = await checkRevocationStamp(claims, over.revocationList ?? '', ring, over.seen ?? { version: 0, revoked: [] });
  return { grant: await checkGrant({ grant, claims, keys: ring, nodeId: over.nodeId ?? 'north', revoked: stamp.revoked, now: () => NOW }), newer: stamp.newer };
}

test('a grant has the shape of a GA4GH Passport ControlledAccessGrants visa, and verifies at its node', async () => {
  const { token, claims } = signGrant(grantInput(), coordinator);
  const [header] = token.split('.');
  expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'EdDSA', kid: 'coord-1', typ: GRANT_TOKEN_TYPE });
  expect(claims).toMatchObject({
    iss: 'coordinator',
    sub: 'r-alice',
    aud: 'north',
    exp: NOW / 1000 + 86400,
    ga4gh_visa_v1: { type: 'ControlledAccessGrants', value: 'https://coordinator.example/api/v1/access/requests/req-1', source: 'https://coordinator.example', by: 'dac', asserted: NOW / 1000 - 3600 },
    biospec_grant: { request: 'req-1', query_hash: HASH, collections: ['breast'] },
  });
  expect((await check(token)).grant).toEqual(claims);
});

test('each check a node makes, with its refusal', async () => {
  const good = signGrant(grantInput(), coordinator).token;
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ['no grant', () => check(''), 'UNAUTHENTICATED', 'grant: no grant'],
    ['signed by another key', () => check(signGrant(grantInput(), other).token), 'UNAUTHENTICATED', 'grant: signature does not verify'],
    ['a query token passed off as a grant', () => check(signCompactJws({ ...signGrant(grantInput(), coordinator).claims }, coordinator, 'biospec-query+jwt')), 'UNAUTHENTICATED', 'grant: token type biospec-query+jwt not allowed'],
    ['another issuer', () => check(signGrant(grantInput({ issuer: 'rogue' }), coordinator).token), 'UNAUTHENTICATED', 'grant issuer rogue not accepted'],
    ['expired', () => check(signGrant(grantInput({ lifetimeSeconds: 60, now: new Date(NOW - 120_000) }), coordinator).token), 'PERMISSION_DENIED', 'grant expired'],
    ['another node', () => check(good, { nodeId: 'south' }), 'PERMISSION_DENIED', 'grant is for another node'],
    ['another researcher', () => check(good, { claims: question({ researcher: 'r-mallory' }) }), 'PERMISSION_DENIED', 'grant is for another researcher'],
    ['another request', () => check(good, { claims: question({ request: 'req-2' }) }), 'PERMISSION_DENIED', 'grant is for another request'],
    ['another question', () => check(good, { claims: question({ query_hash: 'e'.repeat(64) }) }), 'PERMISSION_DENIED', 'grant is for another question'],
  ];
  for (const [what, run, code, message] of cases) {
    expect({ what, ...(await refusal(run)) }).toEqual({ what, code, message });
  }
});

describe('revocation', () => {
  test('a grant on the list is refused; the newer list is handed back to persist', async () => {
    const { token, claims } = signGrant(grantInput(), coordinator);
    const list = signRevocationList({ issuer: 'coordinator', version: 1, revoked: [claims.jti], now: new Date(NOW) }, coordinator);
    const stamp = { version: 1, sha256: revocationListDigest(list) };
    expect(await refusal(() => check(token, { revocationList: list, claims: question({ revocations: stamp }) }))).toEqual({ code: 'PERMISSION_DENIED', message: 'grant revoked' });
    const other = signRevocationList({ issuer: 'coordinator', version: 1, revoked: ['someone-else'], now: new Date(NOW) }, coordinator);
    const passed = await check(token, { revocationList: other, claims: question({ revocations: { version: 1, sha256: revocationListDigest(other) } }) });
    expect(passed.newer).toEqual({ version: 1, token: other, revoked: ['someone-else'] });
  });

  test('a node that has seen a list refuses a question signed under an older one, and keeps what it saw revoked', async () => {
    const { token, claims } = signGrant(grantInput(), coordinator);
    // The node was told of version 2 (revoking this grant) while the question still names version 1.
    expect(await refusal(() => check(token, { seen: { version: 2, revoked: [claims.jti] }, claims: question({ revocations: { version: 1, sha256: 'f'.repeat(64) } }) }))).toEqual({
      code: 'FAILED_PRECONDITION',
      message: 'the question carries revocation list version 1, older than version 2 this node has seen',
    });
    expect(await refusal(() => check(token, { seen: { version: 2, revoked: [claims.jti] }, claims: question({ revocations: { version: 0, sha256: '' } }) }))).toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    // A later list that omits the revocation does not revive it at a node that saw it.
    const later = signRevocationList({ issuer: 'coordinator', version: 3, revoked: [], now: new Date(NOW) }, coordinator);
    expect(
      await refusal(() => check(token, { seen: { version: 2, revoked: [claims.jti] }, revocationList: later, claims: question({ revocations: { version: 3, sha256: revocationListDigest(later) } }) })),
    ).toEqual({ code: 'PERMISSION_DENIED', message: 'grant revoked' });
  });

  test('the list must be the one the signed question names, signed by the coordinator', async () => {
    const { token } = signGrant(grantInput(), coordinator);
    const list = signRevocationList({ issuer: 'coordinator', version: 1, revoked: [], now: new Date(NOW) }, coordinator);
    const forged = signRevocationList({ issuer: 'coordinator', version: 1, revoked: [], now: new Date(NOW) }, other);
    const stamp = { version: 1, sha256: revocationListDigest(list) };
    expect(await refusal(() => check(token, { claims: question({ revocations: stamp }) }))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'the question names revocation list version 1 but none came with it',
    });
    expect(await refusal(() => check(token, { revocationList: forged, claims: question({ revocations: stamp }) }))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'the revocation list is not the one the question names',
    });
    expect(await refusal(() => check(token, { revocationList: forged, claims: question({ revocations: { version: 1, sha256: revocationListDigest(forged) } }) }))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'revocation list: signature does not verify',
    });
    const two = signRevocationList({ issuer: 'coordinator', version: 2, revoked: [], now: new Date(NOW) }, coordinator);
    expect(await refusal(() => check(token, { revocationList: two, claims: question({ revocations: { version: 1, sha256: revocationListDigest(two) } }) }))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'the revocation list is version 2, the question names 1',
    });
  });
});
