//! The one integration-test binary: each module is a group of tests.

mod browser;
mod chaos;
mod cli;
mod dashboard;
mod drill;
mod dv;
mod model;
mod privacy;
mod seeding;
mod server;
mod support;
mod tidy;
