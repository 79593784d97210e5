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

/// The real `blockwise` binary with its config, data, state and home directories inside `dir`,
/// and no provider keys, passphrase or log level inherited from the caller: a test never reads
/// or writes the user's files. Callers add `--store`, arguments and any extra environment.
pub fn blockwise_in(dir: &std::path::Path) -> std::process::Command {
    blockwise_at(std::path::Path::new(env!("CARGO_BIN_EXE_blockwise")), dir)
}

/// [`blockwise_in`] running the binary at `bin` (e.g. a copy another account can reach).
pub fn blockwise_at(bin: &std::path::Path, dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(bin);
    c.env("BLOCKWISE_CONFIG_DIR", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env("HOME", dir.join("home"))
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("BLOCKWISE_CUSTOM_BASE_URL")
        .env_remove("BLOCKWISE_CUSTOM_API_KEY")
        .env_remove("BLOCKWISE_PASSPHRASE")
        .env_remove("BLOCKWISE_STORE")
        .env_remove("BLOCKWISE_LOG");
    c
}

/// Exit code (-1 when killed by a signal), stdout and stderr of a finished command.
/// Writes `bytes` to the child's stdin and closes it. A child that refuses
/// before it reads stdin (a refused provider, a bad URL) closes the pipe
/// first; that broken pipe is the child's answer, not a test failure, so it
/// is ignored here and the caller asserts on the exit code and output.
pub fn feed_stdin(child: &mut std::process::Child, bytes: &[u8]) {
    use std::io::Write;
    let mut input = child.stdin.take().expect("stdin was piped");
    match input.write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.expect("write to the child's stdin"),
    }
}

pub fn outcome(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub mod assist;
pub mod batch_env;
pub mod rules;
pub mod tui;
