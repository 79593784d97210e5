//! The headless command line (CLI.md). Every command is a thin call into the library.
//!
//! Every line printed here goes through the one terminal sanitizer ([`crate::model::sanitize`]):
//! `outln!` / `errln!` replace `println!` / `eprintln!`, so a title, file name, block, field
//! name or error holding escape sequences is shown, never obeyed.

/// `println!` through the terminal sanitizer.
macro_rules! outln {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", $crate::model::sanitize(&format!($($t)*))) };
}

/// `eprintln!` through the terminal sanitizer.
macro_rules! errln {
    () => { eprintln!() };
    ($($t:tt)*) => { eprintln!("{}", $crate::model::sanitize(&format!($($t)*))) };
}

mod check;
mod demo;
mod documents;
mod exit;
mod export;
mod ingest;
mod keys;
mod output;
mod policy;
mod progress;
mod project;
mod review;
mod run;
mod run_batch;
mod run_compare;
mod run_group;
mod run_status;
mod schema;
mod schema_calls;
mod schema_refine;
mod schema_report;
mod schema_suggest;
mod sigint;
mod terminal_writer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::Exit;

use crate::workspace::Workspace;

#[derive(Debug, Parser)]
#[command(
    name = "blockwise",
    version,
    about = "Turn long documents into structured, reviewed data, block by block."
)]
pub struct Cli {
    /// Store file (default: the data directory's blockwise.redb).
    #[arg(long, global = true, env = "BLOCKWISE_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Print one JSON document on stdout instead of human output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Terminal UI colours: default, light or high-contrast (else `theme = "NAME"` in the
    /// config directory's config.toml).
    #[arg(long, global = true, env = "BLOCKWISE_THEME", value_name = "NAME")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fresh offline demo workspace: sample document, template schemas, a run on the demo
    /// provider (no network, no key), opened in the terminal UI.
    Demo {
        /// Run the demo to completion without the UI and print a preview (also what happens
        /// when stdout is not a terminal).
        #[arg(long)]
        headless: bool,
    },
    /// Ingest files and folders; prints conv_uid, title and block count per file and a
    /// summary; exit 1 if any file was refused.
    Ingest(ingest::IngestArgs),
    /// List documents.
    Docs,
    /// Verify the store (read-only): text hashes to its ids, blocks cover the text, overlays
    /// and counters agree, every record's checksum matches. Exit 1 listing what is damaged.
    Check,
    /// List a document's blocks.
    Blocks {
        /// conv_uid or a unique prefix of one.
        doc: String,
        /// Only blocks of this type (heading, paragraph, list_item, ...).
        #[arg(long = "type", value_name = "T")]
        block_type: Option<String>,
    },
    /// Projects: create, list, show, add, remove, delete (ordered sets of documents).
    Project {
        #[command(subcommand)]
        cmd: project::ProjectCmd,
    },
    /// Runtime policy: effective values with their source, changes (admins only), audit, admins.
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
    /// Schemas: list, show, add, from-template, fork, delete, templates.
    Schema {
        #[command(subcommand)]
        cmd: schema::SchemaCmd,
    },
    /// Runs: create, start (headless worker), list, status, calls, cancel, resume, delete.
    Run {
        #[command(subcommand)]
        cmd: run::RunCommand,
    },
    /// Manage API keys: set | list | test | remove (stored encrypted, shown as …last4).
    Keys {
        #[command(subcommand)]
        action: keys::KeysCommand,
    },
    /// Review staged results: confirm, reject, edit, discard a draft edit, show the record.
    Review {
        #[command(subcommand)]
        cmd: review::ReviewCmd,
    },
    /// Export a run as JSONL, CSV or a reconstructed Markdown document.
    Export(export::ExportArgs),
}

/// What every command gets: global flags and a way to open the workspace.
pub struct Ctx {
    pub store_path: PathBuf,
    pub json: bool,
    pub quiet: bool,
    /// `--theme` for the terminal UI.
    pub theme: Option<String>,
}

impl Ctx {
    /// Open the workspace for writing (admin bootstrap and lease recovery, SPEC §3).
    pub fn open(&self) -> anyhow::Result<Workspace> {
        Ok(Workspace::open_for_writing(&self.store_path)?)
    }

    /// For read-only commands: never creates, modifies or waits on the store.
    pub fn open_read(&self) -> anyhow::Result<Workspace> {
        Ok(Workspace::open_for_reading(&self.store_path)?)
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    crate::logging::init_file_logging(crate::paths::state_dir().as_deref());
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => match err.downcast_ref::<Exit>() {
            Some(exit) => {
                if !exit.message.is_empty() {
                    errln!("{}", exit.message);
                }
                ExitCode::from(exit.code)
            }
            None => {
                errln!("error: {}", output::error_text(&err));
                ExitCode::from(1)
            }
        },
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let default_path = if matches!(cli.command, Some(Command::Demo { .. })) {
        demo::default_path()
    } else {
        crate::paths::default_store_path()
    };
    let store_path = match cli.store.clone().or(default_path) {
        Some(p) => p,
        None => anyhow::bail!(
            "cannot find a home directory for the store: pass --store PATH or set BLOCKWISE_STORE"
        ),
    };
    let ctx = Ctx {
        store_path,
        json: cli.json,
        quiet: cli.quiet,
        theme: cli.theme.clone(),
    };
    let Some(command) = cli.command else {
        return open_tui(&ctx);
    };
    // A panic from reading a damaged store file is a clean "store is damaged" error (exit 1).
    let result = crate::store::guard::catch_damage(|| dispatch(&ctx, command));
    result.map_err(|e| name_the_store(e, &ctx.store_path))
}

/// A store error names the store file. An `Exit` keeps its code and its own `error:` prefix
/// (it was "error: error: …" with exit 1 before); any other error gets the prefix here.
fn name_the_store(e: anyhow::Error, store: &std::path::Path) -> anyhow::Error {
    let (code, message) = match e.downcast_ref::<Exit>() {
        Some(exit) => (exit.code, exit.message.clone()),
        None => (1, format!("error: {}", output::error_text(&e))),
    };
    let named = output::with_store_path(message.clone(), store);
    if named == message {
        e
    } else {
        Exit::new(code, named).into()
    }
}

fn dispatch(ctx: &Ctx, command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Demo { headless } => demo::run(ctx, headless),
        Command::Ingest(args) => ingest::run(ctx, &args),
        Command::Docs => documents::docs(ctx),
        Command::Check => check::run(ctx),
        Command::Blocks { doc, block_type } => documents::blocks(ctx, &doc, block_type.as_deref()),
        Command::Policy { command } => policy::run(ctx, command),
        Command::Project { cmd } => project::run(ctx, cmd),
        Command::Schema { cmd } => schema::run(ctx, cmd),
        Command::Keys { action } => keys::run(ctx, action),
        Command::Run { cmd } => run::run(ctx, cmd),
        Command::Review { cmd } => review::run(ctx, cmd),
        Command::Export(args) => export::run(ctx, args),
    }
}

/// Whether stdin and stdout are both terminals (the TUI needs them).
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// `blockwise` with no command: the terminal UI on the workspace.
fn open_tui(ctx: &Ctx) -> anyhow::Result<u8> {
    if !interactive() {
        return Err(Exit::new(
            2,
            "blockwise: the terminal UI needs a terminal (stdin and stdout are not one); use the \
             headless commands instead, see `blockwise --help`",
        )
        .into());
    }
    let ws = ctx.open()?;
    let opts = crate::tui::TuiOptions {
        theme: ctx.theme.clone(),
        ..Default::default()
    };
    crate::tui::run(ws, opts)?;
    Ok(0)
}

/// Let `blockwise docs | head` end quietly like other Unix tools instead of panicking on a
/// closed pipe (Rust ignores SIGPIPE by default).
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_names_the_store_once_and_keeps_its_exit_code() {
        let store = std::path::Path::new("/tmp/x/store.redb");
        let exit: anyhow::Error = Exit::new(4, "error: store error: busy").into();
        let named = name_the_store(exit, store);
        let named = named.downcast_ref::<Exit>().expect("still an Exit");
        assert_eq!(named.code, 4);
        assert_eq!(
            named.message,
            "error: store error: busy (store file /tmp/x/store.redb)"
        );
        let other = name_the_store(anyhow::anyhow!("store error: gone"), store);
        let other = other
            .downcast_ref::<Exit>()
            .expect("an Exit naming the store");
        assert_eq!(other.code, 1);
        assert_eq!(
            other.message,
            "error: store error: gone (store file /tmp/x/store.redb)"
        );
        let plain = name_the_store(anyhow::anyhow!("no such run"), store);
        assert_eq!(plain.to_string(), "no such run");
    }
}
