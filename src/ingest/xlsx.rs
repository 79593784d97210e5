//! XLSX placeholder, replaced below.
use std::borrow::Cow;

use super::Drafts;

pub(crate) fn xlsx_drafts(_raw: &[u8]) -> Result<(Cow<'static, str>, Drafts), String> {
    Err("XLSX is not read yet".into())
}
