export * from './specimen.js';
export * from './ast.js';
export * from './strata.js';
export * from './vocab/duo.js';
export * from './vocab/icd10.js';
