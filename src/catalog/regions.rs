//! The 50 US states and DC: population weights, regional income and medical-cost levels, and tile-grid positions.
//!
//! Population is the 2020 census count in thousands.
//! `income` is the median household income relative to the US median (approximately after ACS 2021, rounded).
//! `medical` is per-capita personal health-care spending relative to the US average (approximately after the
//! CMS State Health Expenditure Accounts, 2020, rounded).
//! `medical_trend` is the synthetic annual growth of medical costs; most states run at 5 %, a few at 8–11 %,
//! so that rising medical stress is geographically concentrated rather than uniform.
//! `tile` is the (row, column) of the state in the common 8 × 11 US tile-grid map.

/// One region (a US state or DC) with the parameters the generator uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    pub population_k: u32,
    pub income: f64,
    pub medical: f64,
    pub medical_trend: f64,
    pub tile: (u8, u8),
}

const fn r(
    code: &'static str,
    name: &'static str,
    population_k: u32,
    income: f64,
    medical: f64,
    medical_trend: f64,
    tile: (u8, u8),
) -> Region {
    Region { code, name, population_k, income, medical, medical_trend, tile }
}

/// All regions, in alphabetical order of their postal code.
pub const REGIONS: [Region; 51] = [
    r("AK", "Alaska", 733, 1.12, 1.34, 0.09, (0, 0)),
    r("AL", "Alabama", 5024, 0.78, 0.91, 0.05, (6, 6)),
    r("AR", "Arkansas", 3012, 0.75, 0.94, 0.05, (5, 4)),
    r("AZ", "Arizona", 7152, 0.94, 0.81, 0.05, (5, 1)),
    r("CA", "California", 39538, 1.22, 1.01, 0.05, (4, 0)),
    r("CO", "Colorado", 5774, 1.19, 0.87, 0.05, (4, 2)),
    r("CT", "Connecticut", 3606, 1.20, 1.23, 0.05, (3, 9)),
    r("DC", "District of Columbia", 690, 1.35, 1.40, 0.05, (5, 8)),
    r("DE", "Delaware", 990, 1.04, 1.27, 0.05, (4, 9)),
    r("FL", "Florida", 21538, 0.88, 0.98, 0.06, (7, 8)),
    r("GA", "Georgia", 10712, 0.96, 0.84, 0.05, (6, 7)),
    r("HI", "Hawaii", 1455, 1.22, 0.99, 0.05, (7, 0)),
    r("IA", "Iowa", 3190, 0.94, 0.98, 0.05, (3, 4)),
    r("ID", "Idaho", 1839, 0.96, 0.84, 0.05, (2, 1)),
    r("IL", "Illinois", 12812, 1.04, 1.01, 0.05, (2, 5)),
    r("IN", "Indiana", 6786, 0.90, 0.99, 0.05, (3, 5)),
    r("KS", "Kansas", 2938, 0.93, 0.97, 0.05, (5, 3)),
    r("KY", "Kentucky", 4506, 0.80, 1.02, 0.09, (4, 5)),
    r("LA", "Louisiana", 4658, 0.75, 0.98, 0.10, (6, 4)),
    r("MA", "Massachusetts", 7030, 1.29, 1.31, 0.05, (2, 10)),
    r("MD", "Maryland", 6177, 1.30, 1.07, 0.05, (4, 8)),
    r("ME", "Maine", 1362, 0.93, 1.20, 0.06, (0, 10)),
    r("MI", "Michigan", 10077, 0.91, 1.03, 0.05, (2, 7)),
    r("MN", "Minnesota", 5706, 1.12, 1.13, 0.05, (2, 4)),
    r("MO", "Missouri", 6154, 0.88, 0.99, 0.05, (4, 4)),
    r("MS", "Mississippi", 2961, 0.70, 0.96, 0.10, (6, 5)),
    r("MT", "Montana", 1084, 0.91, 1.00, 0.05, (2, 2)),
    r("NC", "North Carolina", 10439, 0.88, 0.94, 0.05, (5, 6)),
    r("ND", "North Dakota", 779, 0.96, 1.17, 0.05, (2, 3)),
    r("NE", "Nebraska", 1962, 0.96, 0.99, 0.05, (4, 3)),
    r("NH", "New Hampshire", 1378, 1.20, 1.16, 0.05, (1, 10)),
    r("NJ", "New Jersey", 9289, 1.29, 1.17, 0.05, (3, 8)),
    r("NM", "New Mexico", 2118, 0.77, 0.90, 0.09, (5, 2)),
    r("NV", "Nevada", 3105, 0.96, 0.83, 0.05, (3, 1)),
    r("NY", "New York", 20201, 1.09, 1.37, 0.05, (2, 8)),
    r("OH", "Ohio", 11799, 0.90, 1.08, 0.05, (3, 6)),
    r("OK", "Oklahoma", 3959, 0.81, 0.90, 0.08, (6, 3)),
    r("OR", "Oregon", 4237, 1.03, 1.01, 0.05, (3, 0)),
    r("PA", "Pennsylvania", 13003, 0.99, 1.16, 0.05, (3, 7)),
    r("RI", "Rhode Island", 1097, 1.07, 1.17, 0.05, (2, 9)),
    r("SC", "South Carolina", 5119, 0.86, 0.92, 0.05, (5, 7)),
    r("SD", "South Dakota", 887, 0.96, 1.05, 0.05, (3, 3)),
    r("TN", "Tennessee", 6911, 0.86, 0.91, 0.06, (5, 5)),
    r("TX", "Texas", 29146, 0.97, 0.86, 0.06, (7, 3)),
    r("UT", "Utah", 3272, 1.14, 0.74, 0.05, (4, 1)),
    r("VA", "Virginia", 8631, 1.16, 0.93, 0.05, (4, 7)),
    r("VT", "Vermont", 643, 1.04, 1.25, 0.05, (1, 9)),
    r("WA", "Washington", 7705, 1.22, 0.99, 0.05, (2, 0)),
    r("WI", "Wisconsin", 5894, 0.97, 1.07, 0.05, (2, 6)),
    r("WV", "West Virginia", 1794, 0.74, 1.19, 0.11, (4, 6)),
    r("WY", "Wyoming", 577, 0.96, 1.07, 0.05, (3, 2)),
];

/// The region with this postal code, if any.
pub fn by_code(code: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|region| region.code.eq_ignore_ascii_case(code))
}

/// Cumulative population weights, for sampling a region from one uniform draw.
pub fn cumulative_weights() -> [f64; 51] {
    let total: f64 = REGIONS.iter().map(|r| f64::from(r.population_k)).sum();
    let mut acc = 0.0;
    let mut out = [0.0; 51];
    for (slot, region) in out.iter_mut().zip(REGIONS.iter()) {
        acc += f64::from(region.population_k) / total;
        *slot = acc;
    }
    out[50] = 1.0;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        let codes: Vec<_> = REGIONS.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn tiles_do_not_overlap() {
        let mut tiles: Vec<_> = REGIONS.iter().map(|r| r.tile).collect();
        tiles.sort_unstable();
        tiles.dedup();
        assert_eq!(tiles.len(), REGIONS.len());
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(by_code("oh").map(|r| r.name), Some("Ohio"));
        assert_eq!(by_code("XX"), None);
    }
}
