//! Checksums on stored records (issue 20 item 3): a flipped byte in user data is reported as
//! damage naming the record, never read as a different value.
//!
//! A sealed record is `payload ‖ crc32(payload)` (4 bytes, little-endian). CRC-32 (IEEE, the
//! `crc32fast` crate already in the build through the zip reader) detects every error burst of
//! up to 32 bits, so any single damaged byte — and any run of up to four — is always caught,
//! where a truncated hash would catch it only with high probability; longer damage slips by
//! with chance 2^-32. It guards against a damaged disk or file, not an attacker (the store's
//! 0600 mode is that boundary, README "Trust model"). It runs at several GB/s, so sealing costs
//! well under 1 % of ingest or worker wall (`cargo bench --bench seal_cost`).
//!
//! Sealed tables (format 3 on, see `tables.rs`): documents, block chunks, schemas, runs,
//! overlays, calls, policy values, admins, audit, API keys, the review log, and (format 5) the
//! provider batches and their requests (`check_batches.rs`). Document text is
//! not sealed: it is verified against its content hash (`conv_uid`) before it is shown.
//!
//! ## Adopting it in a new table (one line each way)
//! - write: `table.insert(key, sealed::seal_json(&record)?.as_slice())?` (or [`seal`] for bytes);
//! - read: `let record: T = sealed::open_json(raw.value(), || format!("project {key}"))?;`
//!   (or [`open`] for bytes), naming the record the way a user would look for it;
//! - add the table to [`super::migrations`]'s list of sealed tables only if it existed in an
//!   older format version (a table created after format 3 is sealed from its first record),
//!   and to `check.rs` so `blockwise check` lists its damaged records.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{de::DeserializeOwned, Serialize};

use super::StoreError;

/// Bytes the seal adds to a record.
pub const SEAL_LEN: usize = 4;

/// Benchmarks only (`cargo bench --bench seal_cost`): when off, the seal is 4 zero bytes and
/// nothing is verified, so the same workload can be timed with and without the checksum work.
/// Never turned off by the product.
static CHECKSUMS: AtomicBool = AtomicBool::new(true);

#[doc(hidden)]
pub fn bench_set_checksums(on: bool) {
    CHECKSUMS.store(on, Ordering::Relaxed);
}

fn checksums() -> bool {
    CHECKSUMS.load(Ordering::Relaxed)
}

/// `payload` with its checksum appended.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + SEAL_LEN);
    out.extend_from_slice(payload);
    seal_in_place(&mut out);
    out
}

/// Append the checksum of everything in `buf` to it.
pub fn seal_in_place(buf: &mut Vec<u8>) {
    let sum = if checksums() { crc32fast::hash(buf) } else { 0 };
    buf.extend_from_slice(&sum.to_le_bytes());
}

/// `value` as JSON, sealed.
pub fn seal_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = serde_json::to_vec(value)?;
    seal_in_place(&mut out);
    Ok(out)
}

/// The payload of a sealed record, or `None` when it is too short or its checksum is wrong.
pub fn verify(sealed: &[u8]) -> Option<&[u8]> {
    let split = sealed.len().checked_sub(SEAL_LEN)?;
    let (payload, sum) = sealed.split_at(split);
    let sum = u32::from_le_bytes(sum.try_into().ok()?);
    (!checksums() || crc32fast::hash(payload) == sum).then_some(payload)
}

/// The payload of a sealed record; a wrong checksum is [`StoreError::Damaged`] naming `what`
/// (e.g. `overlay run_ab12 block 3`).
pub fn open(sealed: &[u8], what: impl FnOnce() -> String) -> Result<&[u8], StoreError> {
    verify(sealed).ok_or_else(|| StoreError::Damaged {
        what: what(),
        detail: "its checksum does not match: a byte of it changed on disk".into(),
    })
}

/// A sealed JSON record, checked and decoded; either failure is damage naming `what`.
pub fn open_json<T: DeserializeOwned>(
    sealed: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    let mut what = Some(what);
    let payload = open(sealed, || (what.take().expect("named once"))())?;
    serde_json::from_slice(payload).map_err(|e| StoreError::Damaged {
        what: what.map(|w| w()).unwrap_or_default(),
        detail: format!("its record does not decode ({e})"),
    })
}

/// Zero-copy variant of [`open_json`] for views borrowing from the record.
pub fn open_json_borrowed<'a, T: serde::Deserialize<'a>>(
    sealed: &'a [u8],
    what: impl Fn() -> String,
) -> Result<T, StoreError> {
    let payload = open(sealed, &what)?;
    serde_json::from_slice(payload).map_err(|e| StoreError::Damaged {
        what: what(),
        detail: format!("its record does not decode ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_byte_flip_of_a_sealed_record_is_caught() {
        let record = seal_json(&serde_json::json!({"label": "demo: Paragraph 1"})).unwrap();
        assert_eq!(verify(&record), Some(&record[..record.len() - SEAL_LEN]));
        for at in 0..record.len() {
            for mask in [0x01u8, 0x20, 0x5a, 0xff] {
                let mut bad = record.clone();
                bad[at] ^= mask;
                let err = open(&bad, || "overlay run_ab12 block 3".into()).unwrap_err();
                assert!(
                    err.to_string()
                        .starts_with("store is damaged: could not read overlay run_ab12 block 3"),
                    "{err}"
                );
            }
        }
        assert!(verify(&record[..3]).is_none(), "too short to be sealed");
    }

    #[test]
    fn a_sealed_record_that_does_not_decode_names_the_record() {
        let record = seal(b"{not json");
        let err = open_json::<serde_json::Value>(&record, || "schema s1".into()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("could not read schema s1") && msg.contains("does not decode"));
    }
}
