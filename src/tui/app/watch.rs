//! Noticing what other processes did to the open store (a `run start` in another shell, a CLI
//! confirm) without ctrl-r: a blocking-pool task reads the store's change stamp every
//! [`POLL`] and, when it moved, sends [`Action::StoreChanged`]. The UI task never waits on it.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::tui::kit::{Action, Spawner};
use crate::workspace::{ChangeStamp, Workspace};

/// How often the stamp is read: a change shows within about this long plus one frame.
pub const POLL: Duration = Duration::from_millis(300);

/// Watch `ws` until the UI's channel closes.
pub fn spawn(spawner: &Spawner, ws: Workspace, every: Duration) -> JoinHandle<()> {
    let tx = spawner.tx.clone();
    spawner.handle.spawn(async move {
        let read = |ws: Workspace| async move {
            tokio::task::spawn_blocking(move || ws.change_stamp())
                .await
                .ok()
                .and_then(Result::ok)
        };
        let mut last: Option<ChangeStamp> = read(ws.clone()).await;
        loop {
            tokio::time::sleep(every).await;
            if tx.is_closed() {
                break;
            }
            let Some(now) = read(ws.clone()).await else {
                continue;
            };
            if let Some(prev) = last.filter(|p| *p != now) {
                let changed = Action::StoreChanged {
                    runs: prev.runs != now.runs,
                    rest: prev.rest != now.rest,
                };
                if tx.send(changed).await.is_err() {
                    break;
                }
            }
            last = Some(now);
        }
    })
}
