//! Zip containers (DOCX, EPUB): open with a clear reason when the file is not a zip, is
//! truncated or is an encrypted Office file, and read members with a size cap (zip bombs).

use std::io::{Cursor, Read};

use zip::ZipArchive;

/// Most bytes one member may inflate to.
const MAX_MEMBER_BYTES: u64 = 256 * 1024 * 1024;

/// The OLE compound-file signature: Office writes password-protected DOCX files in this
/// container instead of a zip.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(crate) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    kind: &'static str,
}

impl<'a> Archive<'a> {
    /// Open `raw` as a zip container of format `kind` (`DOCX`, `EPUB`).
    pub fn open(raw: &'a [u8], kind: &'static str) -> Result<Archive<'a>, String> {
        if raw.is_empty() {
            return Err("empty file: nothing to ingest".into());
        }
        if raw.starts_with(&CFB_MAGIC) {
            return Err(format!(
                "the {kind} is password-protected (encrypted Office file): remove the password \
                 and save it again to ingest it"
            ));
        }
        if !raw.starts_with(b"PK") {
            return Err(format!("not a {kind} file: it is not a zip archive"));
        }
        let zip = ZipArchive::new(Cursor::new(raw)).map_err(|e| {
            format!("damaged or truncated {kind}: the zip archive cannot be read ({e})")
        })?;
        Ok(Archive { zip, kind })
    }

    /// A member's bytes, `None` when the archive has no such member.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let kind = self.kind;
        // Member names come from the file: escape them before they reach an error message.
        let shown = name.escape_debug().to_string();
        let mut file = match self.zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(format!("damaged {kind}: cannot open {shown} ({e})")),
        };
        if file.encrypted() {
            return Err(format!(
                "the {kind} is encrypted ({shown} needs a password)"
            ));
        }
        let mut out = Vec::with_capacity(file.size().min(MAX_MEMBER_BYTES) as usize);
        (&mut file)
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("damaged or truncated {kind}: cannot read {shown} ({e})"))?;
        if out.len() as u64 > MAX_MEMBER_BYTES {
            return Err(format!(
                "{shown} inflates to more than {MAX_MEMBER_BYTES} bytes: refused as a zip bomb"
            ));
        }
        Ok(Some(out))
    }

    /// Inflate every member once without keeping it: refuse a member over the per-member cap or
    /// a whole archive over `total_cap` (a zip bomb) before another reader loads any of it.
    pub fn check_inflated_sizes(&mut self, total_cap: u64) -> Result<(), String> {
        let kind = self.kind;
        let mut total = 0u64;
        for i in 0..self.zip.len() {
            let mut file = self.zip.by_index(i).map_err(|e| {
                format!("damaged or truncated {kind}: cannot open member {i} ({e})")
            })?;
            let shown = file
                .name()
                .map(|n| n.escape_debug().to_string())
                .unwrap_or_else(|_| format!("member {i}"));
            if file.encrypted() {
                return Err(format!(
                    "the {kind} is encrypted ({shown} needs a password)"
                ));
            }
            let n = std::io::copy(
                &mut (&mut file).take(MAX_MEMBER_BYTES + 1),
                &mut std::io::sink(),
            )
            .map_err(|e| format!("damaged or truncated {kind}: cannot read {shown} ({e})"))?;
            if n > MAX_MEMBER_BYTES {
                return Err(format!(
                    "{shown} inflates to more than {MAX_MEMBER_BYTES} bytes: refused as a zip bomb"
                ));
            }
            total += n;
            if total > total_cap {
                return Err(format!(
                    "the {kind} inflates to more than {total_cap} bytes: refused as a zip bomb"
                ));
            }
        }
        Ok(())
    }

    /// A member that must exist.
    pub fn require(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let kind = self.kind;
        self.read(name)?.ok_or_else(|| {
            format!(
                "not a {kind} file: the archive has no {}",
                name.escape_debug()
            )
        })
    }
}
