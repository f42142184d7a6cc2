//! Deterministic synthetic population: a bank's customers, an insurer's members and claims, a domestic-violence
//! support service's survivors and incidents, and the ground truth behind them.
//!
//! # Determinism
//!
//! The population is cut into chunks of [`CHUNK`] people (or survivors). Each chunk draws from its own ChaCha8
//! stream derived from `(seed, domain, chunk index)` ([`rng`]), and keys are assigned from chunk positions, so
//! the same seed and size give the same rows whatever the thread count. Stored doubles are rounded (cents,
//! 1e-6 for probabilities) so that last-bit differences between platforms' `exp`/`ln` cannot change content.
//!
//! # The generating process
//!
//! Time: 24 monthly periods of history, January 2024 to December 2025, observed on [`OBSERVATION_DATE`];
//! outcomes are those of the 12-month performance window after it (as in a credit-scoring development sample).
//!
//! People. The universe holds `customers` bank customers (person keys `1..=customers`) and 15 % as many
//! insurer-only members after them. For each person:
//!
//! - region ~ 2020 census population weights ([`crate::catalog::regions`]); age band ~ adult age distribution;
//!   employment depends on age band (students, retirees);
//! - two hidden latents: financial fragility `f ~ N(0,1)` and health `h ~ N(0,1)` (older people sicker);
//! - income = 56,000 × regional income level × age and employment factors × exp(0.5·ε − 0.2·f);
//!   debt-to-income `dti` = 0.28 × exp(0.45·f + 0.35·ε); credit score = 705 − 55·f − 25·ln(dti/0.28) + 30·ε,
//!   clamped to 300–850; credit group by score band; 85 % hold a loan;
//! - a minority (f > 0.5, then 25 %) is *deteriorating*: their missed payments accelerate in the second year;
//! - chronic conditions: eight conditions, each with prevalence raised by `h` and age;
//! - medical claims: monthly probability 0.07·exp(0.4·conditions + 0.35·h); cost log-normal by category ×
//!   regional medical level × regional medical trend over time; 7–12 % are denied, and a denied claim's cost is
//!   paid out of pocket; otherwise the plan's share (HMO 12 %, PPO 20 %, HDHP 35 %) is;
//! - 70 % of bank customers are insurer members; medical costs happen to everyone, but only members' claims are
//!   recorded; customers insured elsewhere pay 10 % of their costs (and all of a denied claim), so the bank-only
//!   population carries some medical stress that no table shows;
//! - missed payments: monthly logit −5.0 + 1.1·f + 1.0·unemployed + 0.6·ln(dti/0.28) + 1.2·min(shock, 2)
//!   (+0.15 per month after month 12 when deteriorating), where `shock` is the out-of-pocket medical cost of the
//!   two previous months relative to monthly income; overdrafts likewise, weaker.
//!
//! True outcome. Financial distress within 12 months has probability `p = σ(z)` with
//!
//! ```text
//! z = −3.45 + 0.45·f + 0.6·unemployed + 0.5·ln(dti/0.28) + 3.5·min(burden, 0.6)
//!     + 0.6·deteriorating + 0.3·min(missed₁₂, 6) − 0.3·ln(income/56,000)
//! ```
//!
//! where `burden` is the out-of-pocket medical cost of the last 12 months over annual income (the true process
//! includes medical-cost stress) and `missed₁₂` the missed payments of the last 12 months. Generator v2 made
//! the truth mostly observable (v1 weighted the hidden `f` at 0.9 and left 12 % of bank-only customers
//! uninsured): a logistic model on clean-room features can then come within about 0.01 of the Bayes AUC, which
//! is what the model's quality bar asks. The outcome is drawn as `u < p`. `truth.customers` keeps `f`, `h`,
//! deteriorating, burden and `p`; nothing else does.
//!
//! Survivors. `customers / 20` survivors (5 %), each on a hidden trajectory: stable (55 %), moderate (30 %) or
//! escalating (15 %). Escalating cases have more incidents at shrinking intervals up to the observation date,
//! rising severity, and rising chances of strangulation, threats to kill and weapon use; their survivors more
//! often report recent separation and a perpetrator with weapons. `truth.survivors` keeps the trajectory.

/// Declares a table's column vectors and how they turn into a [`Batch`].
macro_rules! columns {
    ($(#[$meta:meta])* $name:ident => $table:expr, { $($field:ident : $kind:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub(crate) struct $name { $(pub $field: Vec<columns!(@ty $kind)>),+ }

        impl $name {
            pub fn into_batch(self) -> $crate::synth::Batch {
                $crate::synth::Batch {
                    table: $table,
                    columns: vec![$((stringify!($field), $crate::synth::Column::$kind(self.$field))),+],
                }
            }
        }
    };
    (@ty I64) => { i64 };
    (@ty I32) => { i32 };
    (@ty I16) => { i16 };
    (@ty F64) => { f64 };
    (@ty Bool) => { bool };
    (@ty Str) => { &'static str };
    (@ty Date) => { i32 };
}

mod dv;
mod identity;
mod people;
mod rng;

use crate::catalog::Table;
use chrono::NaiveDate;
pub use identity::{Identity, Narrative, Pii, PiiSlice, SurvivorRecord};

/// Version of the generating process; part of the warehouse metadata.
pub const GENERATOR_VERSION: u32 = 2;
/// People (or survivors) per chunk: the unit of parallel generation and of loading.
pub const CHUNK: u64 = 4096;
/// Months of history before the observation date.
pub const HISTORY_MONTHS: u32 = 24;
/// Share of bank customers who are also insurer members.
pub const INSURER_OVERLAP: f64 = 0.70;

/// The observation date: history ends here, the outcome window starts the day after.
pub fn observation_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid constant date")
}

/// The first day of history month `m` (0 = January 2024).
pub fn month_start(m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024 + (m / 12) as i32, 1 + m % 12, 1).expect("valid month")
}

/// Days since 1970-01-01, the storage form of dates.
pub fn epoch_days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
    (date - epoch).num_days() as i32
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub customers: u64,
    pub seed: u64,
}

impl Params {
    /// Insurer members who are not bank customers.
    pub fn insurer_only(&self) -> u64 {
        self.customers * 15 / 100
    }

    /// Everyone the people generator creates: bank customers, then insurer-only members.
    pub fn universe(&self) -> u64 {
        self.customers + self.insurer_only()
    }

    /// Survivors known to the DV support service: 5 % as many as customers.
    pub fn survivors(&self) -> u64 {
        self.customers / 20
    }

    fn people_chunks(&self) -> u64 {
        self.universe().div_ceil(CHUNK)
    }

    /// Chunks to generate in all; pass each index in `0..chunk_count()` to [`chunk`].
    pub fn chunk_count(&self) -> u64 {
        self.people_chunks() + self.survivors().div_ceil(CHUNK)
    }
}

/// One column of generated values, in the order of its table's DDL.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    I64(Vec<i64>),
    I32(Vec<i32>),
    I16(Vec<i16>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<&'static str>),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::I64(v) => v.len(),
            Column::I32(v) | Column::Date(v) => v.len(),
            Column::I16(v) => v.len(),
            Column::F64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Generated rows of one table, column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub table: Table,
    pub columns: Vec<(&'static str, Column)>,
}

impl Batch {
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }
}

/// One generated chunk: its table rows, and the PII of the same people, which only ever leaves sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub batches: Vec<Batch>,
    pub pii: Pii,
}

/// Generates chunk `index` (see [`Params::chunk_count`]).
pub fn chunk(params: &Params, index: u64) -> Chunk {
    let people_chunks = params.people_chunks();
    if index < people_chunks {
        let start = index * CHUNK;
        let end = (start + CHUNK).min(params.universe());
        people::generate(params, index, start..end)
    } else {
        let dv_index = index - people_chunks;
        let start = dv_index * CHUNK;
        let end = (start + CHUNK).min(params.survivors());
        dv::generate(params, dv_index, start..end)
    }
}

/// Rounds to cents.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rounds to 1e-6, the stored precision of probabilities and latents.
fn micro(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Index drawn from cumulative weights with one uniform draw.
fn pick(cumulative: &[f64], u: f64) -> usize {
    cumulative.partition_point(|&c| c < u).min(cumulative.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_dates() {
        assert_eq!(month_start(0).to_string(), "2024-01-01");
        assert_eq!(month_start(23).to_string(), "2025-12-01");
        assert_eq!(epoch_days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }

    #[test]
    fn sizes_follow_customers() {
        let p = Params { customers: 10_000, seed: 1 };
        assert_eq!(p.survivors(), 500);
        assert_eq!(p.universe(), 11_500);
        assert_eq!(p.chunk_count(), 11_500u64.div_ceil(CHUNK) + 1);
    }

    #[test]
    fn pick_maps_uniform_to_bucket() {
        let cumulative = [0.25, 0.5, 1.0];
        assert_eq!(pick(&cumulative, 0.0), 0);
        assert_eq!(pick(&cumulative, 0.3), 1);
        assert_eq!(pick(&cumulative, 0.99), 2);
    }

    #[test]
    fn chunks_are_deterministic_and_seed_dependent() {
        let a = Params { customers: 300, seed: 7 };
        let b = Params { customers: 300, seed: 8 };
        for index in 0..a.chunk_count() {
            assert_eq!(chunk(&a, index), chunk(&a, index));
        }
        assert_ne!(chunk(&a, 0).batches, chunk(&b, 0).batches);
    }

    #[test]
    fn every_column_of_a_batch_has_the_same_length() {
        let p = Params { customers: 500, seed: 3 };
        for index in 0..p.chunk_count() {
            for batch in chunk(&p, index).batches {
                let rows = batch.rows();
                assert!(batch.columns.iter().all(|(_, c)| c.len() == rows), "{}", batch.table);
            }
        }
    }
}
