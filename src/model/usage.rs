use serde::{Deserialize, Serialize};

/// Token usage of one call, in the four kinds providers report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Anthropic `cache_creation_input_tokens`; 0 for OpenAI-compatible.
    pub cache_write_tokens: u64,
    /// Anthropic `cache_read_input_tokens`; OpenAI `prompt_tokens_details.cached_tokens`.
    pub cache_read_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
    }
}
