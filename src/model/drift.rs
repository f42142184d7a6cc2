//! Population stability index (PSI): how far a population's distribution of a score or a feature has moved
//! from the training population's.
//!
//! The training population's deciles are kept in the artifact as bin edges with their shares, so any other
//! population (the current warehouse, or one stressed by a scenario) can be compared without the training
//! data. PSI = Σ (actualᵢ − expectedᵢ)·ln(actualᵢ / expectedᵢ) over bins, shares floored at 10⁻⁴.
//! Bands: < 0.10 no significant change, 0.10–0.25 investigate, ≥ 0.25 significant.

use serde::{Deserialize, Serialize};

/// PSI below this: no significant change.
pub const INVESTIGATE: f64 = 0.10;
/// PSI at or above this: significant change.
pub const SIGNIFICANT: f64 = 0.25;

const FLOOR: f64 = 1e-4;

/// Bins of a reference distribution: a value v falls in the first bin whose upper edge is ≥ v; the last bin
/// is open above. `shares` has one more entry than `edges`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub edges: Vec<f64>,
    pub shares: Vec<f64>,
}

/// What a PSI value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Stable,
    Investigate,
    Significant,
}

impl Band {
    pub fn of(psi: f64) -> Band {
        if psi >= SIGNIFICANT {
            Band::Significant
        } else if psi >= INVESTIGATE {
            Band::Investigate
        } else {
            Band::Stable
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Band::Stable => "no significant change",
            Band::Investigate => "investigate",
            Band::Significant => "significant change",
        }
    }
}

/// One PSI value with its band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Psi {
    pub name: String,
    pub psi: f64,
    pub band: Band,
}

fn bin_of(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&e| e < v)
}

fn shares(edges: &[f64], values: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    for &v in values {
        counts[bin_of(edges, v)] += 1;
    }
    counts.iter().map(|&c| c as f64 / values.len().max(1) as f64).collect()
}

impl Reference {
    /// Decile edges of `values` (duplicates merged, so a flag has two bins) and each bin's share.
    pub fn from_values(values: &[f64]) -> Reference {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut edges: Vec<f64> = (1..10).filter_map(|q| sorted.get(q * sorted.len() / 10).copied()).collect();
        edges.dedup();
        let shares = shares(&edges, values);
        Reference { edges, shares }
    }

    /// PSI of `values` against this reference.
    pub fn psi(&self, values: &[f64]) -> f64 {
        shares(&self.edges, values)
            .iter()
            .zip(&self.shares)
            .map(|(&a, &e)| {
                let (a, e) = (a.max(FLOOR), e.max(FLOOR));
                (a - e) * (a / e).ln()
            })
            .sum()
    }
}

/// PSI of `values` against `reference`, named and banded.
pub fn psi(name: &str, reference: &Reference, values: &[f64]) -> Psi {
    let psi = reference.psi(values);
    Psi { name: name.to_owned(), psi, band: Band::of(psi) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_population_has_zero_psi() {
        let values: Vec<f64> = (0..1000).map(|i| (i as f64).sqrt()).collect();
        let reference = Reference::from_values(&values);
        assert_eq!(reference.edges.len(), 9);
        assert!(reference.psi(&values).abs() < 1e-12);
    }

    #[test]
    fn a_shifted_population_moves_through_the_bands() {
        let values: Vec<f64> = (0..10_000).map(|i| i as f64 / 10_000.0).collect();
        let reference = Reference::from_values(&values);
        let small: Vec<f64> = values.iter().map(|v| v + 0.02).collect();
        let large: Vec<f64> = values.iter().map(|v| v + 0.3).collect();
        assert_eq!(psi("x", &reference, &small).band, Band::Stable);
        assert_eq!(psi("x", &reference, &large).band, Band::Significant);
    }

    #[test]
    fn a_flag_has_two_bins() {
        let values: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i % 4 == 0))).collect();
        let reference = Reference::from_values(&values);
        assert_eq!(reference.edges, vec![0.0, 1.0]);
        assert_eq!(reference.shares, vec![0.75, 0.25, 0.0]);
        let all_set = vec![1.0; 100];
        assert_eq!(Band::of(reference.psi(&all_set)), Band::Significant);
    }
}
