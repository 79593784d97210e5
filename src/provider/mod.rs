//! Model providers: one trait, one module per wire protocol, one classified error type.
//!
//! The worker talks only to [`Provider`]; the wire modules (Anthropic Messages,
//! OpenAI-compatible chat completions) implement it.

mod types;

pub use types::{BlockInput, CallAnswer, CallRequest, Provider, ProviderError, RateLimitInfo};
