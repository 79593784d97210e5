//! The headless command line (CLI.md). Every command is a thin call into the library.

mod documents;
mod exit;
mod keys;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::Exit;

use crate::store::Store;

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
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files; prints conv_uid, title and block count per file.
    Ingest {
        /// Markdown (.md) or plain-text (.txt) files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List documents.
    Docs,
    /// List a document's blocks.
    Blocks {
        /// conv_uid or a unique prefix of one.
        doc: String,
        /// Only blocks of this type (heading, paragraph, list_item, ...).
        #[arg(long = "type", value_name = "T")]
        block_type: Option<String>,
    },
    /// Manage API keys: set | list | test | remove (stored encrypted, shown as …last4).
    Keys {
        #[command(subcommand)]
        action: keys::KeysCommand,
    },
}

/// What every command gets: global flags and a way to open the store.
pub struct Ctx {
    pub store_path: PathBuf,
    pub json: bool,
    pub quiet: bool,
}

impl Ctx {
    pub fn open_store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.store_path)?)
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init_file_logging(crate::paths::state_dir().as_deref());
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => match err.downcast_ref::<Exit>() {
            Some(exit) => {
                if !exit.message.is_empty() {
                    eprintln!("{}", exit.message);
                }
                ExitCode::from(exit.code)
            }
            None => {
                eprintln!("error: {err:#}");
                ExitCode::from(1)
            }
        },
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let store_path = match cli.store.clone().or_else(crate::paths::default_store_path) {
        Some(p) => p,
        None => anyhow::bail!(
            "cannot find a home directory for the store: pass --store PATH or set BLOCKWISE_STORE"
        ),
    };
    let ctx = Ctx {
        store_path,
        json: cli.json,
        quiet: cli.quiet,
    };
    let Some(command) = cli.command else {
        eprintln!(
            "The terminal UI is not built yet. Use the headless commands; see `blockwise --help`."
        );
        return Ok(2);
    };
    match command {
        Command::Ingest { files } => documents::ingest(&ctx, &files),
        Command::Docs => documents::docs(&ctx),
        Command::Blocks { doc, block_type } => documents::blocks(&ctx, &doc, block_type.as_deref()),
        Command::Keys { action } => keys::run(&ctx, action),
    }
}
