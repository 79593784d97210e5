//! Every redb table of the product, in one place.
//!
//! Names carry a version suffix: a layout change gets a new name and a named migration in
//! `migrations.rs`, never a silent reinterpretation of old bytes. Values are JSON (serde) unless
//! noted, so a record can gain optional fields without a migration.
//!
//! From store format 3 every `&[u8]` value of a table holding user data (all below except
//! `META` and `DOC_TEXT`, whose text is verified against its `conv_uid`) is sealed: the record
//! followed by its CRC-32 (`sealed.rs`, which says how a new table adopts it in one line). The
//! tables kept their names: the format version, not the name, marks the change, so the other
//! work on these tables (and their key layouts) is untouched; migration 3 seals old records.
//!
//! Key layouts are chosen so the hot queries are range scans:
//! - blocks of a document in index order: `BLOCKS` range `(conv, 0)..=(conv, u32::MAX)` (chunks);
//! - overlays of a run with status S in index order: `OVERLAY_STATUS` range
//!   `(run, S, 0)..=(run, S, u32::MAX)`;
//! - calls of a run in order: `CALLS` range `(run, 0)..`.

use redb::TableDefinition;

/// `key -> bytes`. Holds `format_version` (u64 little-endian) and other store-wide values.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta_v1");

/// `conv_uid -> Document` JSON.
pub const DOCUMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("documents_v1");

/// `source_uid -> conv_uid`: which conversion a source file produced.
pub const SOURCES: TableDefinition<&str, &str> = TableDefinition::new("sources_v1");

/// `(conv_uid, chunk) -> chunk of 128 consecutive blocks` (byte ranges) in the binary layout of
/// `block_codec.rs` (chunk = block_index / 128). Immutable after ingest.
pub const BLOCKS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("block_chunks_v2");

/// `(conv_uid, page) -> 64 KiB page of the document's text` (`text_pages.rs`): block content is
/// `text[start..end]`, so the text is stored once. Immutable after ingest.
pub const DOC_TEXT: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("doc_text_v1");

/// `schema_id -> Schema` JSON.
pub const SCHEMAS: TableDefinition<&str, &[u8]> = TableDefinition::new("schemas_v1");

/// `schema_ref -> schema_id`.
pub const SCHEMA_REFS: TableDefinition<&str, &str> = TableDefinition::new("schema_refs_v1");

/// `schema_uid -> schema_id` (content identity; one schema per content per owner).
pub const SCHEMA_UIDS: TableDefinition<&str, &str> = TableDefinition::new("schema_uids_v1");

/// `run_id -> Run` JSON (status, model_config with the policy snapshot, counters, usage).
pub const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs_v1");

/// `run_id -> RunHead` (format 6, sealed binary, `run_heads.rs`): a run without its creation
/// snapshot, written in every transaction that writes `RUNS`; what lists read.
pub const RUN_HEADS: TableDefinition<&str, &[u8]> = TableDefinition::new("run_heads_v1");

/// `run_id -> RunHead` (format 8): the heads of the runs of no group, the same bytes as in
/// `RUN_HEADS`, written with them: what the Runs list reads at launch without iterating the
/// heads of every group member (`head_tables.rs`).
pub const SOLO_HEADS: TableDefinition<&str, &[u8]> = TableDefinition::new("solo_run_heads_v1");

/// `group_id -> GroupTally` (format 8, sealed binary, `group_tally.rs`): a run group's members
/// summed, changed by differences in every transaction that writes a member's head.
pub const GROUP_TALLIES: TableDefinition<&str, &[u8]> = TableDefinition::new("group_tallies_v1");

/// `(schema_id, run_id) -> ()`: which runs reference a schema (delete guard).
pub const RUNS_BY_SCHEMA: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("runs_by_schema_v1");

/// `(run_id, block_index) -> Overlay` JSON: the run's mutable output for one block.
pub const OVERLAYS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("overlays_v1");

/// `(run_id, status code, block_index) -> ()`: status index kept in the same transaction as
/// every overlay change, so "pending overlays of run R in index order" is one range scan.
pub const OVERLAY_STATUS: TableDefinition<(&str, u8, u32), ()> =
    TableDefinition::new("overlay_status_v1");

/// `(run_id, seq) -> CallRecord` JSON: per-call telemetry.
pub const CALLS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("calls_v1");

/// `policy key -> value` JSON. Absent key = default from the registry.
pub const POLICY: TableDefinition<&str, &[u8]> = TableDefinition::new("policy_v1");

/// `seq -> AuditEntry` JSON. Append-only.
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_v1");

/// `os user -> AdminRecord` JSON.
pub const ADMINS: TableDefinition<&str, &[u8]> = TableDefinition::new("admins_v1");

/// `provider -> StoredKey` JSON (age-encrypted secret, defaults, validity).
pub const API_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_keys_v1");

/// `seq -> ReviewEvent` JSON: who confirmed / rejected / edited what, when. Append-only.
pub const REVIEW_LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("review_log_v1");

/// `group_id -> RunGroup` JSON: a run group's project snapshot and member runs (SPEC §1a).
pub const RUN_GROUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("run_groups_v1");
/// `project_ref -> Project` JSON (description, counts; the members are in `PROJECT_MEMBERS`).
pub const PROJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("projects_v1");

/// `(project_ref, position) -> conv_uid`: the ordered member list (range scan = project order).
/// Positions only grow; a removed member leaves a gap.
pub const PROJECT_MEMBERS: TableDefinition<(&str, u64), &str> =
    TableDefinition::new("project_members_v1");

/// `(project_ref, conv_uid) -> position`: membership test (a document is kept once per project)
/// and the key to remove it from `PROJECT_MEMBERS`.
pub const PROJECT_POSITIONS: TableDefinition<(&str, &str), u64> =
    TableDefinition::new("project_positions_v1");

/// `(conv_uid, project_ref) -> ()`: which projects a document belongs to (Library pane).
pub const DOCUMENT_PROJECTS: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("document_projects_v1");

/// `(project_ref, group_id) -> ()`: run groups created from a project (delete guard). The run
/// group creator writes it in the transaction that creates the group (`projects::link_group`).
pub const PROJECT_GROUPS: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("project_groups_v1");

/// `batch key -> BatchRecord` JSON (sealed): one provider batch of a run or group (SPEC §3
/// "Batch mode"): provider id, state, times, counts.
pub const BATCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("batches_v1");

/// `(batch key, request number) -> BatchRequest` JSON (sealed): the pack one `custom_id` stands
/// for (`(member, block index)` of each block) and its call record.
pub const BATCH_REQUESTS: TableDefinition<(&str, u32), &[u8]> =
    TableDefinition::new("batch_requests_v1");

/// `(run_id, batch key) -> ()`: the batches holding blocks of a run (range scan per run).
pub const RUN_BATCHES: TableDefinition<(&str, &str), ()> = TableDefinition::new("run_batches_v1");

/// `seq -> AssistCall` JSON, sealed: every schema assistant call (suggest / refine), in order.
/// Created by the first call recorded; a store without it has recorded none.
pub const ASSIST_CALLS: TableDefinition<u64, &[u8]> = TableDefinition::new("assist_calls_v1");
