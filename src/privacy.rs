//! Privacy: the k-anonymity guard that every aggregate leaves through.

pub mod kanon;

pub use kanon::{Guarded, GuardedCell, KGuard};
