//! How much of the store file holds data. redb grows its file by doubling and trims it only
//! when at least half of the tail is free, so the file length alone moves in steps of up to
//! 50 % for the same data (10,000-block worker bench: 13.8 or 20.7 MiB for ~13.7 MiB of pages,
//! depending on when the last growth happened). Benchmarks report both figures.

use super::{Store, StoreError};

/// Space of the store file, from redb's own accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Length of the file on disk.
    pub file_bytes: u64,
    /// Pages redb has allocated: records, B-tree overhead and redb's own tables.
    pub allocated_bytes: u64,
    /// Keys and values as stored, without index overhead.
    pub stored_bytes: u64,
}

impl Store {
    /// Measure the store's space. Walks every tree and takes the write lock for that long (redb
    /// reports these only in a write transaction), then aborts: nothing is written.
    pub fn space(&self) -> Result<Space, StoreError> {
        let _reading = super::guard::reading("the store's space figures");
        let tx = self.write()?;
        let stats = tx.stats()?;
        tx.abort()?;
        let file_bytes = std::fs::metadata(&self.path)
            .map_err(|e| StoreError::Io {
                path: self.path.clone(),
                source: e,
            })?
            .len();
        Ok(Space {
            file_bytes,
            allocated_bytes: stats.allocated_pages() * stats.page_size() as u64,
            stored_bytes: stats.stored_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, Run};

    #[test]
    fn space_counts_what_a_write_adds_and_writes_nothing_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let empty = store.space().unwrap();
        let config = ModelConfig::fixed("demo", "m", 0.0, 100);
        let run = Run::new("r1", "conv", ("sch", "s", "uid"), config, "me");
        store.create_run(&run, 2000).unwrap();
        let before = store.fingerprint().unwrap();
        let full = store.space().unwrap();
        assert_eq!(store.fingerprint().unwrap(), before, "space() wrote");
        // 2,000 overlays of at least their run id and block index each.
        assert!(
            full.stored_bytes >= empty.stored_bytes + 2000 * 20,
            "{empty:?} -> {full:?}"
        );
        for s in [empty, full] {
            assert!(s.stored_bytes <= s.allocated_bytes, "{s:?}");
            assert!(s.allocated_bytes <= s.file_bytes, "{s:?}");
        }
    }
}
