//! SafeHaven: an offline risk-intelligence appliance in one binary. Every import points down these layers
//! (ARCHITECTURE.md draws them; a tidy test holds the code to them):
//!
//! - [`catalog`] is the shared vocabulary: the warehouse's tables, the regions, credit groups and age bands;
//!   [`text`] formats numbers for people to read;
//! - [`synth`] generates the deterministic synthetic population and its ground truth;
//!   [`privacy`] holds the k-anonymity guard every aggregate leaves through, masked IDs, the age vault, roles and
//!   the audit log;
//! - [`model`] is the financial-distress risk model (features, Newton fit, evaluation, reasons, what-if, drift);
//!   [`dv`] is the DV lethality assessment engine;
//! - [`analytics`] is the dashboard's in-memory portfolio and its views; [`chaos`] the stress scenarios and crisis
//!   drills; [`analyst`] answers questions in plain English from those views; [`handoff`] carries signals to the
//!   CRM (thin payloads, the workflow, Salesforce files, webhook signatures, routing rules);
//! - [`warehouse`] owns DuckDB (the only module that imports it) and every SQL file in `sql/`; [`charts`] renders
//!   SVG charts with plotters;
//! - [`server`] is the HTTP API and embedded dashboard (the only module that imports axum); [`cli`], [`commands`],
//!   [`config`], [`telemetry`] and [`error`] are the binary's plumbing; [`egress`] is the one module that may open an
//!   outbound connection (to a loopback language model, or hand-off webhooks, an operator configured).

pub mod analyst;
pub mod analytics;
pub mod catalog;
pub mod chaos;
pub mod charts;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dv;
pub mod egress;
pub mod error;
pub mod handoff;
pub mod model;
pub mod privacy;
pub mod server;
pub mod synth;
pub mod telemetry;
pub mod text;
pub mod warehouse;
