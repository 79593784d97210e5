//! Where Blockwise keeps its files: `directories` decides, `--store` / `BLOCKWISE_STORE` override.

use std::path::PathBuf;

use directories::ProjectDirs;

/// Name of the store file inside the data directory.
pub const STORE_FILE: &str = "blockwise.redb";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "blockwise")
}

/// Default store path: `<data dir>/blockwise.redb`.
pub fn default_store_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().join(STORE_FILE))
}

/// Configuration directory (keys identity, theme and keymap overrides, price table).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BLOCKWISE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// State directory for the log file (falls back to the local data directory off Linux).
pub fn state_dir() -> Option<PathBuf> {
    project_dirs().map(|d| {
        d.state_dir()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| d.data_local_dir().to_path_buf())
    })
}
