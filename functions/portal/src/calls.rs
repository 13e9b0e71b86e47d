//! How many DynamoDB calls one request made, for its log line: a page's cost is part of
//! its contract ("at most two reads"), so every answer reports it and tests can hold us to it.
//! Counted per request (a task-local), so concurrent requests of the local run do not mix.

use std::cell::Cell;
use std::future::Future;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    pub reads: u32,
    pub writes: u32,
}

tokio::task_local! {
    static CALLS: Cell<Calls>;
}

/// Runs one request's work, counting the calls it makes.
pub async fn counted<F: Future>(work: F) -> (F::Output, Calls) {
    CALLS
        .scope(Cell::new(Calls::default()), async {
            let out = work.await;
            (out, CALLS.with(Cell::get))
        })
        .await
}

fn bump(f: impl FnOnce(&mut Calls)) {
    // Outside a request (start-up, tests) there is nothing to count into.
    let _ = CALLS.try_with(|c| {
        let mut v = c.get();
        f(&mut v);
        c.set(v);
    });
}

/// A GetItem, BatchGetItem or Query round trip.
pub fn read() {
    bump(|c| c.reads += 1);
}

/// A PutItem, DeleteItem or TransactWriteItems round trip.
pub fn write() {
    bump(|c| c.writes += 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_per_request() {
        let ((), calls) = counted(async {
            read();
            read();
            write();
        })
        .await;
        assert_eq!(calls, Calls { reads: 2, writes: 1 });
        read(); // outside a request: ignored, no panic
        let ((), calls) = counted(async {}).await;
        assert_eq!(calls, Calls::default());
    }
}
