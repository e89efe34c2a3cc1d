/** A true, unprotected count. Strata: non-empty only, sorted (see `Catalogue.count`); [] without stratify. */
export interface TrueCount {
  total: number;
  strata: { key: Record<string, string>; count: number }[];
}
