//! How many DynamoDB calls one request made, and which AWS actions, for its log line: a
//! page's cost is part of its contract ("at most two reads"), and the actions are what its
//! function's IAM role must grant (a test compares them with the template). Counted per
//! request (a task-local), so concurrent requests of the local run do not mix.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Calls {
    pub reads: u32,
    pub writes: u32,
    /// IAM action names, e.g. `cognito-idp:InitiateAuth`, `dynamodb:PutItem@<table>`.
    pub actions: BTreeSet<String>,
}

impl Calls {
    /// The actions as one space-separated field of a log line.
    pub fn actions_line(&self) -> String {
        self.actions.iter().map(String::as_str).collect::<Vec<_>>().join(" ")
    }
}

tokio::task_local! {
    static CALLS: RefCell<Calls>;
}

/// Runs one request's work, counting the calls it makes.
pub async fn counted<F: Future>(work: F) -> (F::Output, Calls) {
    CALLS
        .scope(RefCell::new(Calls::default()), async {
            let out = work.await;
            (out, CALLS.with(|c| c.take()))
        })
        .await
}

fn bump(f: impl FnOnce(&mut Calls)) {
    // Outside a request (start-up, tests) there is nothing to count into.
    let _ = CALLS.try_with(|c| f(&mut c.borrow_mut()));
}

/// One AWS action the request made (its IAM name).
pub fn action(name: impl Into<String>) {
    bump(|c| {
        c.actions.insert(name.into());
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
        assert_eq!((calls.reads, calls.writes), (2, 1));
        read(); // outside a request: ignored, no panic
        let ((), calls) = counted(async {}).await;
        assert_eq!(calls, Calls::default());
    }
}
