//! age encryption of API keys: an X25519 identity file (created on first use, mode 0600) or a
//! passphrase (scrypt).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};

use super::VaultError;

/// File name of the identity inside the config directory.
pub const IDENTITY_FILE: &str = "identity.txt";

/// Record tag for X25519-encrypted keys.
pub const X25519: &str = "age-x25519";
/// Record tag for passphrase-encrypted keys.
pub const PASSPHRASE: &str = "age-scrypt";

/// Encrypt with the identity at `path`, creating it first when missing.
pub fn encrypt_with_identity(path: &Path, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
    let identity = load_or_create_identity(path)?;
    age::encrypt(&identity.to_public(), plain).map_err(|e| VaultError::Crypto(e.to_string()))
}

pub fn decrypt_with_identity(path: &Path, cipher: &[u8]) -> Result<Vec<u8>, VaultError> {
    let identity = load_identity(path)?.ok_or_else(|| VaultError::Identity {
        path: path.to_path_buf(),
        reason: "the identity file is missing, so stored keys cannot be decrypted; store \
                 the keys again with `blockwise keys set`"
            .into(),
    })?;
    age::decrypt(&identity, cipher).map_err(|e| VaultError::Identity {
        path: path.to_path_buf(),
        reason: format!("cannot decrypt with this identity ({e}); was it replaced?"),
    })
}

pub fn encrypt_with_passphrase(
    passphrase: &SecretString,
    plain: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let recipient = age::scrypt::Recipient::new(passphrase.clone());
    age::encrypt(&recipient, plain).map_err(|e| VaultError::Crypto(e.to_string()))
}

pub fn decrypt_with_passphrase(
    passphrase: &SecretString,
    cipher: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let identity = age::scrypt::Identity::new(passphrase.clone());
    age::decrypt(&identity, cipher)
        .map_err(|_| VaultError::Passphrase("wrong passphrase (BLOCKWISE_PASSPHRASE)".into()))
}

fn identity_err(path: &Path, reason: impl Into<String>) -> VaultError {
    VaultError::Identity {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Read the identity; `None` when the file does not exist. Refuses a file others can read.
pub fn load_identity(path: &Path) -> Result<Option<age::x25519::Identity>, VaultError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(identity_err(path, format!("cannot read: {e}"))),
    };
    check_private(path)?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| identity_err(path, "no AGE-SECRET-KEY line"))?;
    age::x25519::Identity::from_str(line)
        .map(Some)
        .map_err(|e| identity_err(path, format!("invalid identity: {e}")))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| identity_err(path, format!("cannot stat: {e}")))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(identity_err(
            path,
            format!(
                "permissions {:o} let other users read it; run `chmod 600 {}`",
                mode & 0o777,
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), VaultError> {
    Ok(())
}

fn load_or_create_identity(path: &Path) -> Result<age::x25519::Identity, VaultError> {
    if let Some(identity) = load_identity(path)? {
        return Ok(identity);
    }
    let identity = age::x25519::Identity::generate();
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        // Another process created it between our read and our create: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return load_identity(path)?
                .ok_or_else(|| identity_err(path, "identity file vanished"));
        }
        Err(e) => return Err(identity_err(path, format!("cannot create: {e}"))),
    };
    let text = format!(
        "# Blockwise API-key identity (age X25519). Keep this file private: it decrypts the\n\
         # keys stored in the Blockwise store.\n# created: {}\n# public key: {}\n{}\n",
        crate::clock::now_rfc3339(),
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    file.write_all(text.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| identity_err(path, format!("cannot write: {e}")))?;
    tracing::info!(path = %path.display(), "created API-key identity");
    Ok(identity)
}

fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| identity_err(&PathBuf::from(dir), format!("cannot create directory: {e}")))
}
