//! The one integration-test binary: each module is a group of tests.

// Tests read their environment (CI, PATH) directly; the product reads it only in src/config.rs.
#![allow(clippy::disallowed_methods)]

mod analyst;
mod browser;
mod chaos;
mod cli;
mod dashboard;
mod dp;
mod drill;
mod dv;
mod guard;
mod handoff;
mod model;
mod privacy;
mod rules;
mod seeding;
mod server;
mod snapshots;
mod support;
mod tidy;
