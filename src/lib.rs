//! SafeHaven: an offline risk-intelligence appliance in one binary.
//!
//! - [`synth`] generates the deterministic synthetic population and its ground truth;
//! - [`warehouse`] owns DuckDB (the only module that imports it) and every SQL file in `sql/`;
//! - [`privacy`] holds the k-anonymity guard that every aggregate leaves through;
//! - [`model`] is the financial-distress risk model (features, Newton fit, evaluation, reasons, what-if, drift);
//! - [`dv`] is the DV lethality assessment engine;
//! - [`charts`] renders SVG charts with plotters;
//! - [`server`] is the HTTP API and embedded dashboard (the only module that imports axum);
//! - [`cli`], [`commands`], [`config`], [`telemetry`] and [`error`] are the binary's plumbing;
//! - [`catalog`] names the warehouse's tables.

pub mod analytics;
pub mod catalog;
pub mod chaos;
pub mod charts;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dv;
pub mod error;
pub mod model;
pub mod privacy;
pub mod server;
pub mod synth;
pub mod telemetry;
pub mod text;
pub mod warehouse;
