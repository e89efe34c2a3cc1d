export { createRandom, hashSeed, weightedTable, type Random, type WeightedTable } from './random.js';
export { PROFILES, PROFILE_NAMES, isProfileName, type ProfileName, type SiteProfile, type CollectionModel, type DerivativeModel } from './profiles.js';
export { DISEASES, type DiseaseModel, type DiseaseCategory, type AgeModel } from './diseases.js';
export { MATERIAL_HANDLING, type MaterialHandling } from './materials.js';
export { generateCatalogue, type GenerateOptions } from './generate.js';
export { toCsvHeader, toCsvLine, writeCsv, type WriteCsvOptions } from './csv-writer.js';
