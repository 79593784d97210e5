//! Call slots in pack order: the session loop queues each pack for a slot as it spawns the
//! pack's task ([`queue_for_slot`]), so calls go out in the order their packs were formed
//! (block order at concurrency 1) even though each task first waits for its `started` record
//! to commit, and tasks finish those commits in any order.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

/// A place in the queue for a call slot.
pub type Ticket = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// A pack's call slot: already held, or a place in the queue.
pub enum Slot {
    Held(OwnedSemaphorePermit),
    Queued(Ticket),
}

impl Slot {
    /// The slot itself, once it is this pack's turn (an error: the semaphore was closed).
    pub async fn take(self) -> Result<OwnedSemaphorePermit, AcquireError> {
        match self {
            Slot::Held(p) => Ok(p),
            Slot::Queued(t) => t.await,
        }
    }
}

/// Join the queue for one of `slots` now (the semaphore is fair: first queued, first served).
pub async fn queue_for_slot(slots: Arc<Semaphore>) -> Slot {
    let mut ticket: Ticket = Box::pin(slots.acquire_owned());
    // Polled once, the acquire takes its place in the queue (or gets a free slot at once).
    let first = std::future::poll_fn(|cx| Poll::Ready(ticket.as_mut().poll(cx))).await;
    match first {
        Poll::Ready(Ok(permit)) => Slot::Held(permit),
        _ => Slot::Queued(ticket),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slots_go_in_queue_order_whatever_order_the_holders_ask_in() {
        let slots = Arc::new(Semaphore::new(1));
        let first = queue_for_slot(slots.clone()).await;
        assert!(
            matches!(first, Slot::Held(_)),
            "a free slot is taken at once"
        );
        let mut queued = Vec::new();
        for _ in 0..3 {
            queued.push(queue_for_slot(slots.clone()).await);
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // The last in the queue asks first: it still waits for the ones before it.
        for (i, slot) in queued.into_iter().enumerate().rev() {
            let tx = tx.clone();
            tokio::spawn(async move {
                let permit = slot.take().await.unwrap();
                tx.send(i).unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                drop(permit);
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(first);
        let mut order = Vec::new();
        for _ in 0..3 {
            order.push(rx.recv().await.unwrap());
        }
        assert_eq!(order, vec![0, 1, 2]);
    }
}
