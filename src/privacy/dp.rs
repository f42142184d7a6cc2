//! Differential privacy, the defence against differencing that an installation may turn on
//! (`[privacy] mode = "dp"` in `appliance.toml`): aggregate views release noisy figures, each release is charged
//! to the user's daily budget, and a release asked for again returns the same noisy answer.
//!
//! The mechanism is the discrete Laplace (two-sided geometric) distribution, sampled exactly with integer
//! arithmetic by Canonne, Kamath and Steinke's algorithm ("The Discrete Gaussian for Differential Privacy",
//! NeurIPS 2020, Algorithm 2), from a ChaCha20 stream: no floating-point sampling, whose rounding leaks (Mironov,
//! CCS 2012). A count with sensitivity Δ released with ε gets noise of scale Δ/ε; amounts are released in whole
//! units (dollars, millionths of a probability) with each person's contribution bounded, so the sensitivity is the
//! bound. What a view releases, how its ε is split among its figures, and the bounds are stated by the view.

use rand::distr::{Distribution, Uniform};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::Serialize;

/// Epsilon values are handled as multiples of this (ε = n / 10⁶), so scales are exact rationals.
const EPSILON_UNITS: u64 = 1_000_000;

/// An installation's differential-privacy policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Each user's budget per UTC day.
    pub epsilon_per_day: f64,
    /// What one new release (a view with its parameters, on one day) costs.
    pub epsilon_per_release: f64,
}

/// Above this a daily ε protects next to nothing: refused as a misconfiguration.
pub const MAX_EPSILON_PER_DAY: f64 = 20.0;
/// The default release cost when the config gives none.
pub const DEFAULT_EPSILON_PER_RELEASE: f64 = 0.5;
/// Below this a release's figures would be noise alone, and the smallest share a view gives one figure (under 2 %)
/// would round to few of the mechanism's units.
pub const MIN_EPSILON_PER_RELEASE: f64 = 0.001;

/// A policy that protects no one, or cannot be met.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "privacy.epsilon_per_day must be a number above 0 and at most {MAX_EPSILON_PER_DAY} (got {0}): 1–5 is usual; smaller protects more and answers less precisely"
    )]
    PerDay(f64),
    #[error(
        "privacy.epsilon_per_release must be at least {MIN_EPSILON_PER_RELEASE} and at most epsilon_per_day ({per_day}) (got {got}): each view a user opens costs this much"
    )]
    PerRelease { got: f64, per_day: f64 },
    #[error("privacy.epsilon_per_day is required when privacy.mode = \"dp\": add it to appliance.toml, e.g. 2.0")]
    Missing,
}

impl Policy {
    pub fn new(epsilon_per_day: f64, epsilon_per_release: f64) -> Result<Policy, PolicyError> {
        if !(epsilon_per_day.is_finite() && epsilon_per_day > 0.0 && epsilon_per_day <= MAX_EPSILON_PER_DAY) {
            return Err(PolicyError::PerDay(epsilon_per_day));
        }
        if !(epsilon_per_release.is_finite()
            && epsilon_per_release >= MIN_EPSILON_PER_RELEASE
            && epsilon_per_release <= epsilon_per_day)
        {
            return Err(PolicyError::PerRelease { got: epsilon_per_release, per_day: epsilon_per_day });
        }
        Ok(Policy { epsilon_per_day, epsilon_per_release })
    }
}

/// A source of noise for one release: a ChaCha20 stream from the release's seed, so the same release draws the
/// same noise (asking again returns the same answer), and the share of the release's ε each figure gets.
pub struct Noise {
    rng: ChaCha20Rng,
}

impl Noise {
    /// Noise from a release's 32-byte seed (drawn from the OS when the release is first made, then stored).
    pub fn from_seed(seed: [u8; 32]) -> Noise {
        Noise { rng: ChaCha20Rng::from_seed(seed) }
    }

    /// A fresh seed from the operating system's CSPRNG.
    pub fn new_seed() -> [u8; 32] {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("the operating system's random source");
        seed
    }

    /// A uniform draw from 0..n (n ≥ 1), without bias (Lemire's method, as `Uniform` samples).
    fn below(&mut self, n: u64) -> u64 {
        Uniform::new(0, n.max(1)).expect("a non-empty range").sample(&mut self.rng)
    }

    /// Bernoulli(num / den), exactly.
    fn bernoulli(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// Bernoulli(exp(−num/den)), exactly (CKS 2020, Algorithm 1).
    fn bernoulli_exp(&mut self, num: u64, den: u64) -> bool {
        if num <= den {
            let mut k = 1u64;
            while self.bernoulli(num, den.saturating_mul(k)) {
                k += 1;
            }
            k % 2 == 1
        } else {
            for _ in 0..num / den {
                if !self.bernoulli_exp(1, 1) {
                    return false;
                }
            }
            self.bernoulli_exp(num % den, den)
        }
    }

    /// A sample of the discrete Laplace distribution of scale `t / s` (P[z] ∝ exp(−|z|·s/t)), exactly
    /// (CKS 2020, Algorithm 2).
    fn discrete_laplace(&mut self, s: u64, t: u64) -> i64 {
        loop {
            let u = self.below(t);
            if !self.bernoulli_exp(u, t) {
                continue;
            }
            let mut v = 0u64;
            while self.bernoulli_exp(1, 1) {
                v += 1;
            }
            let x = u + t * v;
            let y = (x / s) as i64;
            let negative = self.bernoulli(1, 2);
            if negative && y == 0 {
                continue;
            }
            return if negative { -y } else { y };
        }
    }

    /// `value` (a whole number of units) with noise for sensitivity `sensitivity` (units one person can move it)
    /// at `epsilon`.
    pub fn release(&mut self, value: i64, sensitivity: u64, epsilon: f64) -> i64 {
        let (s, t) = scale_parts(sensitivity, epsilon);
        value + self.discrete_laplace(s, t)
    }
}

/// A breakdown of people (each in exactly one cell, so sensitivity 1 and the whole ε for every cell by parallel
/// composition) released with noise: the noisy counts, whole and at least 0, in the cells' order, and what the noise
/// was. Guard the result as any breakdown: suppressing noisy cells is post-processing.
pub fn histogram<L>(noise: &mut Noise, cells: Vec<(L, u64)>, epsilon: f64) -> (Vec<(L, u64)>, Histogram) {
    let noisy: Vec<(L, u64)> = cells
        .into_iter()
        .map(|(label, count)| (label, noise.release(count as i64, 1, epsilon).max(0) as u64))
        .collect();
    let q = (-epsilon).exp();
    let variance = 2.0 * q / (1.0 - q).powi(2);
    let total_interval95 = (1.96 * (variance * noisy.len() as f64).sqrt()).ceil() as u64;
    (
        noisy,
        Histogram {
            mechanism: MECHANISM,
            epsilon,
            sensitivity: 1,
            interval95: interval95(1, epsilon),
            total_interval95,
        },
    )
}

/// The mechanism's name, as views state it.
pub const MECHANISM: &str = "discrete Laplace";

/// What a noisy breakdown says about its noise: every count's 95 % half-width (`interval95`, in people), and the
/// total's (`totalInterval95`, the sum of the noisy counts; normal approximation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Histogram {
    pub mechanism: &'static str,
    pub epsilon: f64,
    pub sensitivity: u64,
    pub interval95: u64,
    pub total_interval95: u64,
}

/// The scale Δ/ε as the integer pair (s, t) with scale = t / s. ε is rounded down to whole units, so the noise is
/// never smaller than stated; the policy's minimum keeps every share a view gives a figure at many units.
fn scale_parts(sensitivity: u64, epsilon: f64) -> (u64, u64) {
    let units = ((epsilon * EPSILON_UNITS as f64).floor() as u64).max(1);
    (units, sensitivity.max(1).saturating_mul(EPSILON_UNITS))
}

/// The half-width `a` of the 95 % interval of the noise for `sensitivity` at `epsilon`: the smallest whole `a`
/// with P(|noise| ≤ a) ≥ 0.95, where P(|Z| ≤ a) = 1 − 2·q^(a+1)/(1+q) for q = exp(−ε/Δ).
pub fn interval95(sensitivity: u64, epsilon: f64) -> u64 {
    let q = (-epsilon / sensitivity.max(1) as f64).exp();
    // 2·q^(a+1)/(1+q) ≤ 0.05  ⇔  a + 1 ≥ ln(0.025·(1+q)) / ln q
    let a = ((0.025 * (1.0 + q)).ln() / q.ln() - 1.0).ceil();
    a.max(0.0) as u64
}

/// Where a release's budget goes: a named share of its ε for each family of figures it releases, and the
/// sensitivity of each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    pub epsilon: f64,
    pub sensitivity: u64,
    /// The 95 % half-width of each figure's noise, in the figure's units.
    pub interval95: u64,
}

impl Share {
    pub fn new(epsilon: f64, sensitivity: u64) -> Share {
        Share { epsilon, sensitivity, interval95: interval95(sensitivity, epsilon) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(sensitivity: u64, epsilon: f64, n: usize) -> Vec<i64> {
        let mut noise = Noise::from_seed([7; 32]);
        (0..n).map(|_| noise.release(0, sensitivity, epsilon)).collect()
    }

    #[test]
    fn policies_that_protect_no_one_are_refused() {
        assert!(Policy::new(2.0, 0.5).is_ok());
        for (day, release) in
            [(0.0, 0.1), (-1.0, 0.1), (f64::NAN, 0.1), (1e6, 0.1), (1.0, 2.0), (1.0, 0.0), (1.0, 1e-9), (1.0, 0.0005)]
        {
            assert!(Policy::new(day, release).is_err(), "{day} / {release}");
        }
    }

    /// The noise's variance matches the stated ε: for the discrete Laplace of parameter q = exp(−ε/Δ) it is
    /// 2q/(1−q)²; over 40,000 seeded draws the sample variance is within 5 % of it, and the mean within 3 σ/√n.
    #[test]
    fn noise_scale_matches_the_stated_epsilon() {
        for (sensitivity, epsilon) in [(1, 1.0), (1, 0.1), (24, 0.5)] {
            let n = 40_000;
            let z = draws(sensitivity, epsilon, n);
            let q = (-epsilon / sensitivity as f64).exp();
            let variance = 2.0 * q / (1.0 - q).powi(2);
            let mean = z.iter().sum::<i64>() as f64 / n as f64;
            let sample = z.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            assert!((sample / variance - 1.0).abs() < 0.05, "Δ={sensitivity} ε={epsilon}: {sample} vs {variance}");
            assert!(mean.abs() < 3.0 * (variance / n as f64).sqrt(), "mean {mean}");
        }
    }

    /// The stated 95 % interval holds the noise in 95 % ± 2 % of draws, wherever the noise is wider than a few
    /// units (at a scale of one unit a whole number cannot cut at exactly 95 %, and the interval errs wide).
    #[test]
    fn the_stated_interval_covers_95_percent_of_draws() {
        let a = interval95(1, 1.0) as i64;
        let z = draws(1, 1.0, 20_000);
        assert!(z.iter().filter(|x| x.abs() <= a).count() as f64 / z.len() as f64 >= 0.95 - 0.02);
        for (sensitivity, epsilon) in [(1, 0.2), (1, 0.05), (24, 0.5), (1_000_000, 0.2)] {
            let a = interval95(sensitivity, epsilon) as i64;
            let z = draws(sensitivity, epsilon, 20_000);
            let inside = z.iter().filter(|x| x.abs() <= a).count() as f64 / z.len() as f64;
            assert!((inside - 0.95).abs() <= 0.02, "Δ={sensitivity} ε={epsilon}: ±{a} covers {inside}");
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_noise() {
        let (mut a, mut b) = (Noise::from_seed([1; 32]), Noise::from_seed([1; 32]));
        let (x, y): (Vec<i64>, Vec<i64>) = (0..50).map(|_| (a.release(100, 1, 0.5), b.release(100, 1, 0.5))).unzip();
        assert_eq!(x, y);
        let mut c = Noise::from_seed([2; 32]);
        assert_ne!(x, (0..50).map(|_| c.release(100, 1, 0.5)).collect::<Vec<_>>());
    }

    #[test]
    fn the_distribution_is_symmetric_and_peaks_at_zero() {
        let z = draws(1, 1.0, 40_000);
        let count = |v: i64| z.iter().filter(|&&x| x == v).count() as f64;
        let q = (-1.0f64).exp();
        // P[0] = (1−q)/(1+q), P[±1] = P[0]·q each.
        let p0 = (1.0 - q) / (1.0 + q);
        assert!((count(0) / z.len() as f64 - p0).abs() < 0.01);
        assert!((count(1) - count(-1)).abs() / z.len() as f64 * 1.0 < 0.01);
        assert!((count(1) / count(0) - q).abs() < 0.03);
    }
}
