//! Blockwise: turn long documents into structured, reviewed data, block by block.
//!
//! The library holds every rule of the product; `main.rs` and the TUI are thin fronts over it.

pub mod cli;
pub mod clock;
pub mod demo;
pub mod export;
pub mod fake;
pub mod files;
pub mod hashing;
pub mod ingest;
pub mod logging;
pub mod model;
pub mod paths;
pub mod policy;
pub mod provider;
pub mod review;
pub mod schema;
pub mod store;
pub mod synth;
pub mod tui;
pub mod vault;
pub mod worker;
