//! Blockwise: turn long documents into structured, reviewed data, block by block.
//!
//! The library holds every rule of the product; `main.rs` and the TUI are thin fronts over it.
//!
//! # Where things live
//!
//! | module | holds | SPEC |
//! |---|---|---|
//! | [`workspace`] | the one API `cli/` and `tui/` call: open, documents, schemas, runs and worker sessions, review, export, policy, keys | all |
//! | [`cli`] | headless commands (clap), printing only | CLI.md |
//! | [`tui`] | the terminal UI: `App::update`, panes, keymap, theme | — |
//! | [`model`] | plain serde types: documents, blocks, runs, overlays, records, `ProviderKind`, the shown-value rule | §1 |
//! | [`store`] | the only code that knows redb: tables, typed transactions, format version and migrations | §1, §3 |
//! | [`ingest`] | source formats to blocks, identity hashing, ingest limits | §1 |
//! | [`schema`] | schema save boundary, refs, templates, compatibility, prompt config | §2 |
//! | [`worker`] | run creation, claim → pack → call → parse → write, leases (`worker::lease`), provider connection | §3 |
//! | [`provider`] | wire clients (Anthropic, OpenAI-compatible), classified errors, prices (a leaf) | §3 Providers |
//! | [`review`] | confirm, reject, edit, discard, selections | §4 |
//! | [`export`] | JSONL, CSV, Markdown; atomic files | §4 |
//! | [`policy`] | policy keys (`policy::keys`), registry, bounds, precedence, snapshot, audit, admins | §5 |
//! | [`vault`] | API key encryption (age) and lookup | §6 |
//! | [`fake`] | the fake provider HTTP server (tests, benchmarks, the offline demo) | — |
//! | [`demo`] | the offline demo workspace | — |
//! | [`synth`] | synthetic documents for tests and benchmarks | — |
//! | [`clock`], [`hashing`], `paths`, `logging` | time, sha256, where files live, file logging | — |

pub mod cli;
pub mod clock;
pub mod demo;
pub(crate) mod demo_guard;
pub mod export;
pub mod fake;
pub(crate) mod files;
pub mod hashing;
pub mod ingest;
pub(crate) mod logging;
pub mod model;
pub(crate) mod paths;
pub mod policy;
pub mod provider;
pub mod record_cap;
pub mod review;
pub mod schema;
pub mod store;
pub mod synth;
pub mod tui;
pub mod vault;
pub mod worker;
pub mod workspace;
