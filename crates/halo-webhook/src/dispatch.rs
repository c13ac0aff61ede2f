//! Handing journaled events to a [`Handler`]: at least once (an event is finished only when
//! the journal has its outcome), in order per object (one lane per `object_id`: an event
//! starts only after the one before it on its object is done or dead), retried with back-off,
//! and after the last attempt a dead letter. Different objects are handled concurrently.

use crate::journal::{Event, Journal, Outcome};
use crate::metrics::Metrics;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// What a handler's attempt returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// Something done with each event: run a program, write a file, update a mirror. An `Ok` is
/// the event handled; an error is retried. It may be given the same event again (after a
/// crash, a replay), so it should be idempotent.
pub trait Handler: Send + Sync {
    /// Handles one event.
    fn handle<'a>(&'a self, event: &'a Event) -> HandlerFuture<'a>;
}

/// Why an attempt failed, one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// How events are retried and how many run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts before an event is a dead letter (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// Handler attempts under way at once (on different objects).
    pub concurrency: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_attempts: 5,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(60),
            concurrency: 4,
        }
    }
}

impl Policy {
    /// The wait after `failures` failed attempts.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(20);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What the dispatcher tells as it goes.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Note<'a> {
    /// An attempt failed; another follows.
    Retrying {
        /// The event.
        event: &'a Event,
        /// Attempts so far.
        attempts: u32,
        /// Why.
        error: &'a str,
    },
    /// The last attempt failed: a dead letter.
    Dead {
        /// The event.
        event: &'a Event,
        /// Attempts made.
        attempts: u32,
        /// Why.
        error: &'a str,
    },
}

/// Who hears the [`Note`]s.
pub type Notes = Box<dyn Fn(Note<'_>) + Send + Sync>;

/// The lanes: the events waiting behind the one under way, per object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Lane {
    Object(String),
    /// An event naming no object is ordered after nothing.
    Alone(i64),
}

struct Shared {
    handler: Arc<dyn Handler>,
    journal: Journal,
    policy: Policy,
    metrics: Arc<Metrics>,
    notes: Notes,
    permits: Semaphore,
    lanes: Mutex<HashMap<Lane, VecDeque<Event>>>,
    stop: watch::Receiver<bool>,
}

/// The running dispatcher.
pub struct Dispatcher {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Dispatcher {
    /// Starts handling the events `feed` brings, in the order it brings them.
    pub fn start(
        handler: Arc<dyn Handler>,
        journal: Journal,
        policy: Policy,
        metrics: Arc<Metrics>,
        notes: Notes,
        feed: mpsc::UnboundedReceiver<Event>,
    ) -> Dispatcher {
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            handler,
            journal,
            policy: Policy {
                max_attempts: policy.max_attempts.max(1),
                concurrency: policy.concurrency.max(1),
                ..policy
            },
            metrics,
            notes,
            permits: Semaphore::new(policy.concurrency.max(1)),
            lanes: Mutex::new(HashMap::new()),
            stop: stopped,
        });
        let task = tokio::spawn(run(shared, feed));
        Dispatcher { stop, task }
    }

    /// Waits until the feed has closed and every event it brought is done or dead.
    pub async fn finish(self) {
        let _ = self.task.await;
    }

    /// Stops: no attempt starts any more, those under way run to their end; unfinished
    /// events stay pending in the journal (the next start hands them over again).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(shared: Arc<Shared>, mut feed: mpsc::UnboundedReceiver<Event>) {
    let mut lanes = JoinSet::new();
    let mut stop = shared.stop.clone();
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            Some(_) = lanes.join_next(), if !lanes.is_empty() => {}
            event = feed.recv() => match event {
                Some(event) => submit(&shared, event, &mut lanes),
                None => break,
            },
        }
    }
    while lanes.join_next().await.is_some() {}
}

/// Queues `event` behind its object's lane, or starts the lane.
fn submit(shared: &Arc<Shared>, event: Event, tasks: &mut JoinSet<()>) {
    let lane = match &event.fields.object_id {
        Some(id) => Lane::Object(id.clone()),
        None => Lane::Alone(event.seq),
    };
    let mut lanes = shared.lanes.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(queue) = lanes.get_mut(&lane) {
        queue.push_back(event);
        return;
    }
    lanes.insert(lane.clone(), VecDeque::new());
    drop(lanes);
    tasks.spawn(run_lane(shared.clone(), lane, event));
}

async fn run_lane(shared: Arc<Shared>, lane: Lane, mut event: Event) {
    loop {
        if !handle(&shared, &event).await {
            return;
        }
        let mut lanes = shared.lanes.lock().unwrap_or_else(|p| p.into_inner());
        match lanes.get_mut(&lane).and_then(VecDeque::pop_front) {
            Some(next) => event = next,
            None => {
                lanes.remove(&lane);
                return;
            }
        }
    }
}

/// Attempts `event` until it is done or dead; `false` when stopped first.
async fn handle(shared: &Shared, event: &Event) -> bool {
    let mut attempts = event.attempts;
    let mut stop = shared.stop.clone();
    loop {
        if *stop.borrow() {
            return false;
        }
        let Ok(permit) = shared.permits.acquire().await else {
            return false;
        };
        attempts += 1;
        let result = shared.handler.handle(event).await;
        drop(permit);
        let outcome = match result {
            Ok(()) => {
                shared.metrics.succeeded();
                Outcome::Done
            }
            Err(HandlerError(error)) => {
                let dead = attempts >= shared.policy.max_attempts;
                shared.metrics.failed(dead);
                if dead {
                    (shared.notes)(Note::Dead {
                        event,
                        attempts,
                        error: &error,
                    });
                    Outcome::Dead(error)
                } else {
                    (shared.notes)(Note::Retrying {
                        event,
                        attempts,
                        error: &error,
                    });
                    Outcome::Failed(error)
                }
            }
        };
        let finished = !matches!(outcome, Outcome::Failed(_));
        if let Err(e) = shared.journal.record(event.seq, attempts, outcome).await {
            // The event stays pending in the journal: the next start hands it over again.
            tracing::error!("cannot record event {}'s outcome: {e}", event.seq);
        }
        if finished {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(shared.policy.delay(attempts)) => {}
            _ = stop.wait_for(|s| *s) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Query, Status};
    use crate::payload;

    /// Records what it was given; fails each event's first `fail_first` attempts.
    struct Recorder {
        seen: Mutex<Vec<(String, i64)>>,
        fail_first: u32,
        tries: Mutex<HashMap<i64, u32>>,
    }

    impl Handler for Recorder {
        fn handle<'a>(&'a self, event: &'a Event) -> HandlerFuture<'a> {
            Box::pin(async move {
                // Let other lanes run in between, so an ordering bug would show.
                tokio::task::yield_now().await;
                let mut tries = self.tries.lock().unwrap();
                let n = tries.entry(event.seq).or_default();
                *n += 1;
                if *n <= self.fail_first {
                    return Err(HandlerError(format!("try {n}")));
                }
                let object = event.fields.object_id.clone().unwrap_or_default();
                self.seen.lock().unwrap().push((object, event.seq));
                Ok(())
            })
        }
    }

    async fn journal_with(dir: &std::path::Path, n: usize) -> (Journal, Vec<Event>) {
        let journal = Journal::open(&dir.join("j.sqlite")).unwrap();
        let body: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"id":"e{i}","object_id":{}}}"#, i % 5))
            .collect();
        let body = format!("[{}]", body.join(","));
        journal
            .append(payload::parse(body.as_bytes()).unwrap())
            .await
            .unwrap();
        let events = journal.list(Query::default()).await.unwrap();
        (journal, events)
    }

    fn fast(max_attempts: u32) -> Policy {
        Policy {
            max_attempts,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            concurrency: 3,
        }
    }

    async fn dispatch(
        journal: &Journal,
        handler: Arc<Recorder>,
        policy: Policy,
        events: Vec<Event>,
    ) -> Arc<Metrics> {
        let metrics = Arc::new(Metrics::default());
        let (tx, rx) = mpsc::unbounded_channel();
        for e in events {
            tx.send(e).unwrap();
        }
        drop(tx);
        Dispatcher::start(
            handler,
            journal.clone(),
            policy,
            metrics.clone(),
            Box::new(|_| {}),
            rx,
        )
        .finish()
        .await;
        metrics
    }

    fn recorder(fail_first: u32) -> Arc<Recorder> {
        Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            fail_first,
            tries: Mutex::new(HashMap::new()),
        })
    }

    #[tokio::test]
    async fn each_object_is_handled_in_order_after_retries() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, events) = journal_with(dir.path(), 60).await;
        let handler = recorder(2);
        let metrics = dispatch(&journal, handler.clone(), fast(3), events).await;
        let seen = handler.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 60);
        for object in 0..5 {
            let order: Vec<i64> = seen
                .iter()
                .filter(|(o, _)| *o == object.to_string())
                .map(|(_, s)| *s)
                .collect();
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(order, sorted, "object {object}");
        }
        let c = metrics.counts();
        assert_eq!((c.succeeded, c.failed, c.dead), (60, 120, 0));
        let done = journal
            .list(Query {
                status: Some(Status::Done),
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(done.len(), 60);
        assert!(done.iter().all(|e| e.attempts == 3));
    }

    #[tokio::test]
    async fn the_last_failure_makes_a_dead_letter_and_the_lane_moves_on() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, events) = journal_with(dir.path(), 10).await;
        let metrics = dispatch(&journal, recorder(u32::MAX), fast(3), events).await;
        assert_eq!(metrics.counts().dead, 10);
        let dead = journal
            .list(Query {
                status: Some(Status::Dead),
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(dead.len(), 10);
        assert!(dead.iter().all(|e| e.attempts == 3));
        assert_eq!(dead[0].last_error.as_deref(), Some("try 3"));
    }

    #[test]
    fn back_off_doubles_up_to_its_cap() {
        let p = Policy {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..Policy::default()
        };
        let waits: Vec<u128> = (1..=4).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
        assert_eq!(p.delay(u32::MAX).as_millis(), 350);
    }
}
