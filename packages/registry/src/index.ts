export * from './roles.js';
export * from './people.js';
export { createSqlitePeople } from './sqlite-people.js';
export { resolvePerson, type IssuerRegistration, type TokenIdentity } from './resolve-person.js';
