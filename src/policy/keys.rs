//! The name of every policy key, one constant each: the registry, the run snapshot and the
//! precedence chain all name keys through these, so a typo does not compile and renaming a key
//! is one edit.

pub const DEFAULT_MODEL: &str = "models.platform_default_model";
pub const DEFAULT_TEMPERATURE: &str = "models.platform_default_temperature";
pub const DEFAULT_MAX_TOKENS: &str = "models.platform_default_max_tokens";
pub const PROMPT_CACHING: &str = "worker.prompt_caching.enabled";
pub const BATCHING: &str = "worker.batching.enabled";
pub const PACK_SIZE: &str = "worker.batching.pack_size";
pub const PACK_SIZE_MAX: &str = "worker.batching.pack_size_max";
pub const TEXT_HEAVY_MAX_PACK_SIZE: &str = "worker.batching.text_heavy_max_pack_size";
pub const CONTEXT_WINDOW_TOKENS: &str = "worker.batching.context_window_tokens";
pub const OUTPUT_RESERVE_TOKENS: &str = "worker.batching.output_reserve_tokens";
pub const TOOL_OVERHEAD_TOKENS: &str = "worker.batching.tool_overhead_tokens";
pub const MAX_OUTPUT_TOKENS: &str = "worker.batching.max_output_tokens";
pub const PER_BLOCK_OUTPUT_TOKENS: &str = "worker.batching.per_block_output_tokens";
pub const CLAIM_BATCH_SIZE: &str = "worker.claim_batch_size";
pub const MAX_RETRIES: &str = "worker.max_retries";
pub const CONCURRENCY: &str = "worker.concurrency";
pub const REQUEST_TIMEOUT_SECONDS: &str = "worker.request_timeout_seconds";
pub const TRANSIENT_RETRIES: &str = "worker.transient_retries";
pub const CALIBRATE: &str = "worker.batching.calibrate";
pub const CALIBRATE_BLOCKS: &str = "worker.batching.calibrate_blocks";
pub const SKIP_BLOCK_TYPES: &str = crate::model::SKIP_BLOCK_TYPES_KEY;
pub const BATCH_POLL_SECONDS_MIN: &str = "worker.batch_api.poll_seconds_min";
pub const BATCH_POLL_SECONDS_MAX: &str = "worker.batch_api.poll_seconds_max";
pub const BATCH_RESUBMIT_EXPIRED: &str = "worker.batch_api.resubmit_expired";
pub const DEFAULT_SYSTEM_PROMPT: &str = "worker.default_system_prompt";
pub const DEFAULT_BLOCK_PROMPT: &str = "worker.default_block_prompt";
pub const MAX_FILE_BYTES: &str = "upload.max_file_bytes";
