//! Two runs' overlays side by side in block order, from one read snapshot (run comparison,
//! SPEC §4a): a merge of two range scans, so memory stays flat however long the runs are.

use super::export_scan::OverlayView;
use super::tables::OVERLAYS;
use super::{Store, StoreError};

impl Store {
    /// Visit the overlays of runs `a` and `b` by ascending block index: `(index, a's, b's)`,
    /// either side `None` where that run has no overlay for the block (a sample run).
    pub fn for_each_overlay_pair<E: From<StoreError>>(
        &self,
        a: &str,
        b: &str,
        mut visit: impl FnMut(u32, Option<&OverlayView<'_>>, Option<&OverlayView<'_>>) -> Result<(), E>,
    ) -> Result<(), E> {
        let _reading = super::guard::reading(format!("the overlays of runs {a} and {b}"));
        let tx = self.read()?;
        let t = tx.open_table(OVERLAYS).map_err(StoreError::from)?;
        let mut left = t
            .range((a, 0u32)..=(a, u32::MAX))
            .map_err(StoreError::from)?;
        let mut right = t
            .range((b, 0u32)..=(b, u32::MAX))
            .map_err(StoreError::from)?;
        let (mut l, mut r) = (next(&mut left)?, next(&mut right)?);
        loop {
            let li = l.as_ref().map(|x| x.0);
            let ri = r.as_ref().map(|x| x.0);
            let index = match (li, ri) {
                (None, None) => return Ok(()),
                (Some(x), None) | (None, Some(x)) => x,
                (Some(x), Some(y)) => x.min(y),
            };
            let lv = decode(a, l.as_ref().filter(|x| x.0 == index))?;
            let rv = decode(b, r.as_ref().filter(|x| x.0 == index))?;
            visit(index, lv.as_ref(), rv.as_ref())?;
            if li == Some(index) {
                l = next(&mut left)?;
            }
            if ri == Some(index) {
                r = next(&mut right)?;
            }
        }
    }
}

type Entry<'a> = (u32, redb::AccessGuard<'a, &'static [u8]>);

fn next<'a>(
    it: &mut redb::Range<'a, (&'static str, u32), &'static [u8]>,
) -> Result<Option<Entry<'a>>, StoreError> {
    Ok(it.next().transpose()?.map(|(k, v)| (k.value().1, v)))
}

fn decode<'a>(
    run: &str,
    entry: Option<&'a Entry<'_>>,
) -> Result<Option<OverlayView<'a>>, StoreError> {
    let Some((index, raw)) = entry else {
        return Ok(None);
    };
    let what = || format!("overlay {run} block {index}");
    super::sealed::open_json_borrowed(raw.value(), what).map(Some)
}
