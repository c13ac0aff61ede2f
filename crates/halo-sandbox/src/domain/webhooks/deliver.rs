//! The delivery tasks: one per webhook posts its events in order (batched where it asks),
//! retries a failed attempt with back-off, and hands every attempt to the recording task,
//! which stores them as `WebhookEvent` objects (many to a transaction).

use super::event::{Event, random_uuid};
use super::hooks::{Batching, GroupKey, Hook};
use super::payload::payload;
use crate::domain::clock;
use crate::domain::config::WebhookRetry;
use crate::domain::store::{Key, Store};
use serde_json::{Map, Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::runtime::Handle;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

/// Where delivery attempts are recorded.
const WEBHOOK_EVENTS: &str = "WebhookEvent";

/// Most queued events a task takes before it delivers again.
const DRAIN: usize = 1024;

/// Most attempts recorded in one transaction.
const RECORDS_PER_WRITE: usize = 512;

/// How much of a receiver's answer a record keeps.
const RESPONSE_KEPT: usize = 4096;

/// One event for one webhook.
pub struct Job {
    /// The webhook, as configured when the event was queued.
    pub hook: Arc<Hook>,
    /// The event.
    pub event: Arc<Event>,
}

/// What every delivery task shares.
pub struct Context {
    /// The client posting the payloads.
    pub http: reqwest::Client,
    /// How failed attempts are retried.
    pub retry: WebhookRetry,
    /// The recording task's queue.
    pub records: mpsc::UnboundedSender<Map<String, Value>>,
    /// Work not yet done.
    pub tracker: Arc<Tracker>,
}

/// Counts the work queued and not yet done (events to deliver, attempts to record), so that
/// [`Tracker::flush`] can wait for none.
#[derive(Default)]
pub struct Tracker {
    pending: AtomicU64,
    idle: Notify,
    /// [`Tracker::flush`] calls under way: batches are sent without waiting while any is.
    flushing: AtomicUsize,
    /// Bumped by each flush, to wake the tasks waiting on a batch delay.
    flushes: watch::Sender<u64>,
}

impl Tracker {
    /// `n` more units of work.
    pub fn add(&self, n: u64) {
        self.pending.fetch_add(n, Ordering::SeqCst);
    }

    /// `n` units done.
    pub fn done(&self, n: u64) {
        if self.pending.fetch_sub(n, Ordering::SeqCst) == n {
            self.idle.notify_waiters();
        }
    }

    fn flushing(&self) -> bool {
        self.flushing.load(Ordering::SeqCst) > 0
    }

    /// Sends every waiting batch now and waits until no work is left.
    pub async fn flush(&self) {
        /// Ends the flush even if the waiting future is dropped.
        struct Flushing<'a>(&'a AtomicUsize);
        impl Drop for Flushing<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.flushing.fetch_add(1, Ordering::SeqCst);
        let _flushing = Flushing(&self.flushing);
        self.flushes.send_modify(|n| *n = n.wrapping_add(1));
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// A webhook's delivery task, started on `runtime`; its queue.
pub fn start_worker(runtime: &Handle, context: &Arc<Context>) -> mpsc::UnboundedSender<Job> {
    let (tx, rx) = mpsc::unbounded_channel();
    runtime.spawn(work(rx, Arc::clone(context)));
    tx
}

/// One POST: a payload alone, or a batch's array.
enum Delivery {
    One(Job),
    Batch(Vec<Job>),
}

/// A batch being filled.
struct Group {
    key: GroupKey,
    jobs: Vec<Job>,
    /// When it goes even if not full.
    due: Instant,
}

/// Delivers the queue's events in order until the queue closes, then what is left.
async fn work(mut rx: mpsc::UnboundedReceiver<Job>, context: Arc<Context>) {
    let mut flushes = context.tracker.flushes.subscribe();
    let mut open: Vec<Group> = Vec::new();
    let mut ready: VecDeque<Delivery> = VecDeque::new();
    let mut closed = false;
    loop {
        if ready.is_empty() && !closed {
            let due = open.iter().map(|g| g.due).min();
            tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => take(job, &mut open, &mut ready),
                    None => closed = true,
                },
                _ = flushes.changed() => {}
                () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {}
            }
        }
        for _ in 0..DRAIN {
            match rx.try_recv() {
                Ok(job) => take(job, &mut open, &mut ready),
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let all = closed || context.tracker.flushing();
        let mut i = 0;
        while i < open.len() {
            if all || open[i].due <= now {
                ready.push_back(Delivery::Batch(open.remove(i).jobs));
            } else {
                i += 1;
            }
        }
        match ready.pop_front() {
            Some(delivery) => deliver(&context, delivery).await,
            None if closed => return,
            None => {}
        }
    }
}

/// Queues `job`: alone, or into its batch (which is ready once full).
fn take(job: Job, open: &mut Vec<Group>, ready: &mut VecDeque<Delivery>) {
    let Some(Batching {
        method,
        limit,
        delay,
    }) = job.hook.batch
    else {
        ready.push_back(Delivery::One(job));
        return;
    };
    let key = method.group(job.event.kind);
    let at = match open.iter().position(|g| g.key == key) {
        Some(at) => {
            open[at].jobs.push(job);
            at
        }
        None => {
            open.push(Group {
                key,
                jobs: vec![job],
                due: Instant::now() + delay,
            });
            open.len() - 1
        }
    };
    if open[at].jobs.len() >= limit {
        ready.push_back(Delivery::Batch(open.remove(at).jobs));
    }
}

/// What one attempt got back.
struct Attempt {
    status: Option<u16>,
    headers: Value,
    body: String,
    error: Option<String>,
}

/// Posts one delivery until it succeeds or its attempts are used up, recording each attempt.
async fn deliver(context: &Context, delivery: Delivery) {
    let (jobs, body) = match delivery {
        Delivery::One(job) => {
            let body = payload(&job.hook, &job.event);
            (vec![job], body)
        }
        Delivery::Batch(jobs) => {
            let bodies = jobs.iter().map(|j| payload(&j.hook, &j.event)).collect();
            (jobs, Value::Array(bodies))
        }
    };
    let Some(first) = jobs.first() else {
        return;
    };
    let hook = Arc::clone(&first.hook);
    let entity_id = first.event.object_id();
    let notification_id = first.event.kind.notification_id();
    let text = body.to_string();
    let attempts = context.retry.attempts.max(1);
    for n in 1..=attempts {
        let timestamp = clock::now_precise();
        let started = std::time::Instant::now();
        let attempt = post(context, &hook, &text).await;
        let took = started.elapsed();
        let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
        let record = json!({
            "id": random_uuid(),
            "webhook_id": hook.id,
            "notification_id": notification_id,
            "timestamp": timestamp,
            "status": if ok { "Success" } else { "Failed" },
            "duration": (took.as_secs_f64() * 1e6).round() / 1e3,
            "requestheaders": {"Content-Type": "application/json"},
            "requestbody": text,
            "responsestatus": attempt.status,
            "responseheaders": attempt.headers,
            "responsebody": attempt.body,
            "error": attempt.error,
            "entity_id": entity_id,
            "attempt": n,
        });
        if let Value::Object(record) = record {
            context.tracker.add(1);
            if context.records.send(record).is_err() {
                context.tracker.done(1);
            }
        }
        if ok {
            break;
        }
        if n < attempts {
            tokio::time::sleep(context.retry.wait_after(n)).await;
        }
    }
    context.tracker.done(jobs.len() as u64);
}

/// One POST of `text` to `hook`.
async fn post(context: &Context, hook: &Hook, text: &str) -> Attempt {
    let mut request = context
        .http
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(text.to_string());
    if let Some((user, password)) = &hook.basic {
        request = request.basic_auth(user, Some(password));
    }
    match request.send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let headers: Map<String, Value> = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (k.as_str().to_string(), Value::String(v))
                })
                .collect();
            let mut kept = Vec::new();
            let mut error = None;
            while kept.len() < RESPONSE_KEPT {
                match response.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(chain(&e));
                        break;
                    }
                }
            }
            kept.truncate(RESPONSE_KEPT);
            Attempt {
                status: Some(status),
                headers: Value::Object(headers),
                body: String::from_utf8_lossy(&kept).into_owned(),
                error,
            }
        }
        Err(e) => Attempt {
            status: None,
            headers: Value::Null,
            body: String::new(),
            error: Some(chain(&e)),
        },
    }
}

/// An error with its causes, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The recording task, started on `runtime`: stores the attempts it is sent in `store`, as
/// many to a transaction as are waiting; its queue.
pub fn start_recorder(
    runtime: &Handle,
    store: Arc<Store>,
    tracker: Arc<Tracker>,
) -> mpsc::UnboundedSender<Map<String, Value>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Map<String, Value>>();
    runtime.spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut docs = vec![first];
            while docs.len() < RECORDS_PER_WRITE {
                match rx.try_recv() {
                    Ok(doc) => docs.push(doc),
                    Err(_) => break,
                }
            }
            let n = docs.len() as u64;
            let store = Arc::clone(&store);
            match tokio::task::spawn_blocking(move || save(&store, docs)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("cannot record webhook deliveries: {e}"),
                Err(e) => tracing::warn!("cannot record webhook deliveries: {e}"),
            }
            tracker.done(n);
        }
    });
    tx
}

/// Stores delivery records, numbered after the stored ones (blocking).
fn save(store: &Store, docs: Vec<Map<String, Value>>) -> rusqlite::Result<()> {
    let mut next = store.next_id(WEBHOOK_EVENTS, 0)?;
    let rows: Vec<(Key, Map<String, Value>)> = docs
        .into_iter()
        .map(|doc| {
            let uid = doc.get("id").and_then(Value::as_str).map(str::to_string);
            let key = Key {
                parent: 0,
                id: next,
                uid,
            };
            next += 1;
            (key, doc)
        })
        .collect();
    store.put_many(WEBHOOK_EVENTS, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::webhooks::event::EventKind;
    use crate::domain::webhooks::hooks::{BatchMethod, PayloadType};
    use std::time::Duration;

    fn job(kind: EventKind, batch: Option<Batching>) -> Job {
        let hook = Hook {
            id: "h".into(),
            url: "http://127.0.0.1:9/h".into(),
            basic: None,
            payload: PayloadType::EventOnly,
            events: None,
            batch,
        };
        Job {
            hook: Arc::new(hook),
            event: Arc::new(Event::ticket(kind, Map::new(), 0)),
        }
    }

    fn sizes(ready: &VecDeque<Delivery>) -> Vec<usize> {
        ready
            .iter()
            .map(|d| match d {
                Delivery::One(_) => 0,
                Delivery::Batch(jobs) => jobs.len(),
            })
            .collect()
    }

    #[tokio::test]
    async fn batches_fill_to_their_limit_by_group() {
        let batch = Some(Batching {
            method: BatchMethod::SameEvent,
            limit: 2,
            delay: Duration::from_secs(3600),
        });
        let (mut open, mut ready) = (Vec::new(), VecDeque::new());
        for kind in [
            EventKind::Updated,
            EventKind::Logged,
            EventKind::Updated,
            EventKind::Updated,
        ] {
            take(job(kind, batch), &mut open, &mut ready);
        }
        assert_eq!(sizes(&ready), [2], "two updates filled one batch");
        assert_eq!(open.len(), 2, "one logged and one update wait");
        take(job(EventKind::Logged, None), &mut open, &mut ready);
        assert_eq!(sizes(&ready), [2, 0], "an unbatched job goes alone");
    }
}
