//! Test support: the fake provider lives in the library (`blockwise::fake`) because the `demo`
//! provider uses it; tests reach it through here.

#![allow(dead_code, unused_imports)]

pub use blockwise::fake::{
    answer_for, FakeConfig, FakeScript, FakeServer, Fault, RecordedRequest, ScriptedCall,
};

/// A fake server with default settings (no latency, any key accepted).
pub fn fake() -> FakeServer {
    FakeServer::start(FakeConfig::default()).expect("start the fake provider")
}

/// A fixture from `fixtures/provider/`.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/provider")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}
