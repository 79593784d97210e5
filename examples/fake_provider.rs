//! The fake provider of the tests (`src/fake`) on 127.0.0.1, to try the whole set-up by hand
//! (tmux, a new user's temp HOME) against a provider that speaks the real Anthropic and OpenAI
//! wire formats without a network or an account:
//!
//! ```text
//! cargo run --example fake_provider -- sk-ant-try-0000   # only this key is accepted
//! ```
//!
//! It prints `ANTHROPIC_BASE_URL=…`, `OPENAI_BASE_URL=…` and the `keys set google` line (its
//! Gemini base URL), then serves until killed. Answers
//! are made up from the schema and the block (see `src/fake/answer.rs`), 150 ms per call.
//! `FAKE_BATCH_SECONDS=N` makes each batch (Anthropic, OpenAI, Gemini) take N seconds to end (default 0).

use std::time::Duration;

use blockwise::fake::{FakeBatchConfig, FakeConfig, FakeServer};

fn main() -> std::io::Result<()> {
    let fake = FakeServer::start(FakeConfig {
        default_latency: Duration::from_millis(150),
        expected_key: std::env::args().nth(1),
        batch: FakeBatchConfig {
            processing: Duration::from_secs(
                std::env::var("FAKE_BATCH_SECONDS")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
            ),
            ..FakeBatchConfig::default()
        },
        ..FakeConfig::default()
    })?;
    println!("ANTHROPIC_BASE_URL={}", fake.anthropic_base_url());
    println!("OPENAI_BASE_URL={}", fake.openai_base_url());
    // No variable sets Google's base URL: store it with the key.
    println!(
        "google: blockwise keys set google --stdin --base-url {}",
        fake.google_base_url()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
